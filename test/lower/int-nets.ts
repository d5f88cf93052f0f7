// Binary-weight networks with k-bit activations for the tests of issue #12: the activation quantizer forms
// (QONNX Quant in every rounding mode, FINN MultiThreshold, the plain Div/Round/Clip/Mul fake quantizer) and
// MLP / CNN builders using one of them after each batch norm (the first with some γ < 0, decreasing channels,
// and one γ = 0, a constant channel).
import { loadModel } from '../../src/compile.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor, TensorType } from '../../src/ir/types.js';
import { sharedFile } from '../helpers/resources.js';
import { Net, QONNX, type WeightKind } from './net.js';

/** A quantizer form: appends it to `net` and says how float values map back to integers. */
export interface Form {
  name: string;
  add(net: Net, bits: number, signed: boolean): { scale: number; zp: number };
}

/** A scale that spreads a batch-normalized tensor (about ±2) over the grid. */
const scaleFor = (bits: number, signed: boolean): number => Math.fround(2.5 / 2 ** (signed ? bits - 1 : bits));

function grid(bits: number, signed: boolean, narrow = false): [number, number] {
  return signed ? [-(2 ** (bits - 1)) + (narrow ? 1 : 0), 2 ** (bits - 1) - 1] : [0, 2 ** bits - (narrow ? 2 : 1)];
}

function after(net: Net, signed: boolean): void {
  net.stat = { mean: new Array<number>(net.C).fill(signed ? 0 : 0.6), std: new Array<number>(net.C).fill(0.7) };
}

const quant = (mode: string, narrow = 0, zp = 0): Form => ({
  name: `Quant ${mode}${narrow ? ' narrow' : ''}${zp ? ` zp ${zp}` : ''}`,
  add(net, bits, signed) {
    const s = scaleFor(bits, signed);
    net.unary('Quant', [net.f32('s', [], [s]), net.f32('z', [], [zp]), net.f32('bw', [], [bits])], { signed: signed ? 1 : 0, narrow, rounding_mode: mode }, QONNX);
    after(net, signed);
    return { scale: s, zp };
  },
});

const multiThreshold: Form = {
  name: 'MultiThreshold',
  add(net, bits, signed) {
    const T = 2 ** bits - 1, s = scaleFor(bits, signed), zp = signed ? 2 ** (bits - 1) : 0;
    const th: number[] = [];
    for (let c = 0; c < net.C; c++) for (let j = 0; j < T; j++) th.push(Math.fround(net.stat.mean[c] + net.stat.std[c] * (4 * (j + 1) / (T + 1) - 2)));
    net.unary('MultiThreshold', [net.f32('th', [net.C, T], th)], { out_scale: { float: s }, out_bias: { float: -zp * s }, out_dtype: 'INT8' }, QONNX);
    after(net, signed);
    return { scale: s, zp };
  },
};

/** FINN after streamlining: MultiThreshold counting levels (out_scale 1, out_bias −zp), then Mul by the scale. */
const multiThresholdMul: Form = {
  name: 'MultiThreshold → Mul',
  add(net, bits, signed) {
    const T = 2 ** bits - 1, s = scaleFor(bits, signed), zp = signed ? 2 ** (bits - 1) : 0;
    const th: number[] = [];
    for (let c = 0; c < net.C; c++) for (let j = 0; j < T; j++) th.push(Math.fround(net.stat.mean[c] + net.stat.std[c] * (4 * (j + 1) / (T + 1) - 2)));
    net.unary('MultiThreshold', [net.f32('th', [net.C, T], th)], { out_scale: { float: 1 }, out_bias: { float: -zp } }, QONNX);
    net.arith('Mul', [s]);
    after(net, signed);
    return { scale: s, zp };
  },
};

/** A Quant whose output is scaled once more (Brevitas' dequantized output times a constant). */
const quantMul: Form = {
  name: 'Quant → Mul',
  add(net, bits, signed) {
    const s = scaleFor(bits, signed);
    net.unary('Quant', [net.f32('s', [], [s / 2]), net.f32('z', [], [0]), net.f32('bw', [], [bits])], { signed: signed ? 1 : 0, narrow: 0, rounding_mode: 'ROUND' }, QONNX);
    net.arith('Mul', [2]);
    after(net, signed);
    return { scale: s, zp: 0 };
  },
};

/** x/s → Round → Clip(qmin, qmax) → ·s; `variant` moves the clip before the round or uses Relu + Clip. */
const plain = (variant: 'round-clip' | 'clip-round' | 'mul-relu-clip'): Form => ({
  name: `Div/Round/Clip/Mul (${variant})`,
  add(net, bits, signed) {
    const s = scaleFor(bits, signed);
    const [qmin, qmax] = grid(bits, signed && variant !== 'mul-relu-clip');
    const clip = () => net.unary('Clip', [net.f32('lo', [], [qmin]), net.f32('hi', [], [qmax])]);
    if (variant === 'mul-relu-clip') net.arith('Mul', [Math.fround(1 / s)]); else net.arith('Div', [s]);
    if (variant === 'clip-round') clip();
    if (variant === 'mul-relu-clip') net.unary('Relu');
    net.unary('Round');
    if (variant !== 'clip-round') clip();
    net.arith('Mul', [s]);
    after(net, signed);
    return { scale: s, zp: 0 };
  },
});

export const FORMS: Form[] = [quant('ROUND'), quant('FLOOR'), quant('HALF_UP', 1), quant('CEIL', 0, 1), quant('HALF_DOWN'), quant('UP'), quant('DOWN'), multiThreshold, multiThresholdMul, quantMul,
  plain('round-clip'), plain('clip-round'), plain('mul-relu-clip')];

export interface Built { net: Net; acts: { node: string; scale: number; zp: number }[] }

export function mlp(form: Form, bits: number, signed: boolean, w: WeightKind, seed: number): Built {
  const net = new Net(seed, { dtype: 'float32', shape: [1, 1, 8, 8] });
  const acts: Built['acts'] = [];
  net.flatten().dense(48, { w, bias: true }).bn({ neg: [1, 4, 7], zero: [2] });
  acts.push({ ...form.add(net, bits, signed), node: net.nodes.at(-1)!.name! });
  net.dense(32, { w }).bn();
  acts.push({ ...form.add(net, bits, signed), node: net.nodes.at(-1)!.name! });
  net.dense(10, { w, bias: true }).output();
  return { net, acts };
}

export function cnn(form: Form, bits: number, signed: boolean, w: WeightKind, seed: number): Built {
  const net = new Net(seed, { dtype: 'float32', shape: [1, 2, 9, 9] });
  const acts: Built['acts'] = [];
  net.conv(12, { w, pads: [1, 1, 1, 1] }).bn({ neg: [1, 4, 7], zero: [2] });
  acts.push({ ...form.add(net, bits, signed), node: net.nodes.at(-1)!.name! });
  net.maxPool(2, 2).conv(16, { w, pads: [1, 0, 1, 0] }).bn();
  acts.push({ ...form.add(net, bits, signed), node: net.nodes.at(-1)!.name! });
  net.flatten().dense(10, { w, bias: true }).output();
  return { net, acts };
}

/** A CNN whose graph output is the last quantizer's output (flattened): read back through the level table. */
export function quantizedOutput(form: Form, bits: number, signed: boolean, w: WeightKind, seed: number): Built {
  const net = new Net(seed, { dtype: 'float32', shape: [1, 1, 8, 8] });
  const acts: Built['acts'] = [];
  net.conv(8, { w, s: 2 }).bn({ neg: [1, 4], zero: [2] });
  acts.push({ ...form.add(net, bits, signed), node: net.nodes.at(-1)!.name! });
  net.conv(6, { w }).bn();
  acts.push({ ...form.add(net, bits, signed), node: net.nodes.at(-1)!.name! });
  net.flatten().output();
  return { net, acts };
}

export const TFC_W1A1 = 'models/tfc_w1a1.qonnx.onnx';

/**
 * ../shared's tfc_w1a1 QONNX model (a Brevitas export, ±1 weights) with each batch norm's BipolarQuant
 * replaced by a signed 2-bit QONNX Quant (scale 0.5, levels −1, −0.5, 0, 0.5): Brevitas' TFC-W1A2 form.
 */
export function tfcW1A2(): Graph {
  const g = loadModel(sharedFile(TFC_W1A1));
  const initializers = new Map(g.initializers);
  const types = new Map<string, TensorType>(g.types);
  const add = (name: string, t: Tensor): string => {
    initializers.set(name, t);
    types.set(name, { dtype: t.dtype, shape: t.shape });
    return name;
  };
  let replaced = 0;
  const nodes = g.nodes.map((n) => {
    const from = g.nodes.find((m) => m.outputs.includes(n.inputs[0]));
    if (n.op !== 'BipolarQuant' || from?.op !== 'BatchNormalization') return n;
    replaced++;
    const f = (v: number) => tensor('float32', [], [v]);
    return { ...n, op: 'Quant', domain: 'qonnx', inputs: [n.inputs[0], add(`${n.name}_scale`, f(0.5)), add(`${n.name}_zp`, f(0)), add(`${n.name}_bits`, f(2))],
      attrs: { signed: 1, narrow: 0, rounding_mode: 'ROUND' } };
  });
  if (replaced !== 3) throw new Error(`tfc_w1a1: ${replaced} activations replaced, expected 3`);
  return { ...g, nodes, initializers, types };
}
