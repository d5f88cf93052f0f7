// The raw integer input q: how it maps to the float input (declared, or the model's own 8-bit input Quant),
// the float ops it may pass (shape-only ops, an exact Cast, scaling ending in a sign), and the two things
// it feeds: a first binary layer (bnnc.IntConv over the integers) or a binarization of the input itself
// (bnnc.Threshold on q, a threshold per channel, or per element before a dense layer).
import { fail } from '../errors.js';
import { sizeOf, tensor } from '../ir/tensor.js';
import type { Graph, InputQuant, Node } from '../ir/types.js';
import { type Chain, deriveThresholds, isShapeOnly, type Step } from './chain.js';
import { composeAffine, nearInteger, replayScalar, scalarAffine } from './input-arith.js';
import type { Lowering } from './context.js';
import { intSumRange, layerRule } from './layer.js';
import { bitLevels, levelAttrs } from './levels.js';
import { continueChain } from './steps.js';
import type { KindRules, LayerFeed, LayerWeights, RawInput } from './values.js';

/**
 * A float model that quantizes its own input with an 8-bit (or narrower) QONNX Quant right after the input
 * (through shape-only ops, and scalar arithmetic such as FINN CNV's x·2 − 1: input-arith.ts), with scalar
 * constant scale and integer zero point: the raw input is then the integer q = clip(round(y / scale +
 * zero_point)) inside that Quant, and the float input x = (q − z')·scale' maps onto it exactly.
 */
export function modelInputQuant(g: Graph): { node: Node; quant: InputQuant } | undefined {
  if (g.inputs.length !== 1 || g.inputs[0].type.dtype !== 'float32') return undefined;
  let name = g.inputs[0].name;
  const steps: Step[] = [];
  for (let hops = 0; hops < 16; hops++) {
    const users = g.nodes.filter((n) => n.inputs.includes(name));
    if (users.length !== 1) return undefined;
    const n = users[0];
    if (isShapeOnly(n)) { name = n.outputs[0]; continue; }
    const slot = n.inputs.indexOf(name);
    if (scalarAffine(g, n, slot)) { steps.push({ node: n, slot }); name = n.outputs[0]; continue; }
    if (n.domain !== 'qonnx' || n.op !== 'Quant' || n.inputs[0] !== name) return undefined;
    const [s, z, b] = [1, 2, 3].map((i) => g.initializers.get(n.inputs[i]));
    if (!s || !z || !b || sizeOf(s.shape) !== 1 || sizeOf(z.shape) !== 1 || sizeOf(b.shape) !== 1) return undefined;
    const bits = b.data[0], zp = z.data[0], scale = s.data[0];
    const signed = n.attrs.signed !== 0;
    if (!Number.isInteger(bits) || bits < 2 || bits > 8 || !Number.isInteger(zp) || !(scale > 0)) return undefined;
    const [lo, hi] = signed ? [-128, 127] : [0, 255];
    if (zp < lo || zp > hi) return undefined;
    const dtype = signed ? 'int8' : 'uint8';
    if (steps.length === 0) return { node: n, quant: { dtype, scale, divisor: 1, zeroPoint: zp } };
    // y = m·x + c = (q − z)·s  ⇔  x = (q − z − c/s)·(s/m): c/s must be whole, every q of the Quant's range exact
    const { m, c } = composeAffine(g, steps, 'into the input Quant');
    const shift = nearInteger(c / scale);
    const z2 = shift === undefined ? undefined : zp + shift;
    if (z2 === undefined || z2 < lo || z2 > hi) return undefined;
    const quant: InputQuant = { dtype, scale: Math.fround(scale / m), divisor: 1, zeroPoint: z2 };
    const narrow = n.attrs.narrow === 1 ? 1 : 0;
    const [qlo, qhi] = signed ? [-(2 ** (bits - 1)) + narrow, 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1 - narrow];
    for (let q = Math.max(lo, qlo); q <= Math.min(hi, qhi); q++) {
      const x = Math.fround((q - z2) * quant.scale);
      if (replayScalar(g, steps, x) !== Math.fround((q - zp) * scale)) return undefined;
    }
    return { node: n, quant };
  }
  return undefined;
}

/** The raw input viewed as `shape` (a Reshape node when its own shape differs). */
function reshapeInput(lw: Lowering, val: RawInput, shape: number[], n: Node): string {
  const s = lw.inputType.shape;
  if (s.length === shape.length && s.every((d, i) => d === shape[i])) return val.name;
  const out = lw.fresh(`${val.name}__${shape.join('x')}`);
  lw.emit({ name: `${n.name}/reshape_input`, op: 'Reshape', domain: '', inputs: [val.name, lw.addInit(`${out}__shape`, tensor('int64', [shape.length], shape))], outputs: [out], attrs: { allowzero: 0 } });
  return out;
}

/** A first layer: Σ (q − zero_point)·w over ±1 weights, as bnnc.IntConv on the integers (NCHW). */
const FEED: LayerFeed<RawInput> = {
  geometry(lw, _v, inShape) {
    const s = lw.inputType.shape;
    if (inShape.length === 4) return { C: inShape[1], H: inShape[2], W: inShape[3] };
    // a dense first layer on a flattened input: read the input in its own (NCHW) layout
    if (s.length === 4 && sizeOf(s) / s[0] === inShape[1]) return { C: s[1], H: s[2], W: s[3] };
    return { C: inShape[1], H: 1, W: 1 };
  },
  emit(lw, n, val, w, acc) {
    const q = val.quant ?? lw.rawQuant();
    const { zeroPoint, scale, offset } = foldArithmetic(lw, val, w);
    const { C, H, W } = w.geometry;
    const inName = reshapeInput(lw, val, [lw.inputType.shape[0], C, H, W], n);
    lw.emit({ name: n.name, op: 'IntConv', domain: 'bnnc', inputs: [inName, lw.addInit(`${w.weightName}__int8`, tensor('int8', w.shape, w.signs))], outputs: [acc],
      attrs: { ...w.attrs, pads: w.pads, zero_point: zeroPoint, layout: 'NCHW' } });
    // reachable sums: each term s·(q − zp) at whichever end of q's range makes it smallest (largest)
    const [qmin, qmax] = q.dtype === 'uint8' ? [0, 255] : [-128, 127];
    const { lo, hi } = intSumRange(w.signs, w.shape[0], qmin, qmax, zeroPoint);
    return { lo, hi, scale, divisor: q.divisor, ...(offset ? { offset } : {}) };
  },
};

/**
 * The first layer's view of the raw input through the scalar arithmetic before it (input-arith.ts):
 * y = m·(q − zp)·scale/divisor + c → IntConv zero point zp' and scale m·scale, plus r·Σσ_f per filter
 * where the shift is not a whole number of input steps (an unpadded layer only).
 */
function foldArithmetic(lw: Lowering, val: RawInput, w: LayerWeights): { zeroPoint: number; scale: number; offset?: Float64Array } {
  const q = val.quant ?? lw.rawQuant();
  if (val.steps.every((s) => isShapeOnly(s.node))) return { zeroPoint: q.zeroPoint, scale: q.scale };
  const { m, c } = composeAffine(lw.g, val.steps, 'into the first layer\'s integer sum');
  const unit = (m * q.scale) / q.divisor;
  const k = nearInteger(c / unit);
  // IntConv's zero point is an int32 (docs/numerics.md); keep it near the raw range
  if (k !== undefined && Math.abs(q.zeroPoint - k) <= 1 << 16) return { zeroPoint: q.zeroPoint - k, scale: m * q.scale };
  if (w.pads.some((p) => p !== 0)) {
    const last = val.steps.filter((s) => !isShapeOnly(s.node)).at(-1)!.node;
    fail('BNNC_E163', `the arithmetic on the raw input up to '${last.name}' (${last.op}) shifts it by ${c}, ${c / unit} input steps: the padded first layer pads with 0, which is then no raw value; fold the shift into the input quantization or export the layer without padding`, lw.where(last));
  }
  const [M, K] = [w.shape[0], w.shape[1] * w.shape[2] * w.shape[3]];
  const offset = new Float64Array(M);
  for (let f = 0; f < M; f++) {
    let sum = 0;
    for (let i = 0; i < K; i++) sum += w.signs[f * K + i];
    offset[f] = c * sum;
  }
  return { zeroPoint: q.zeroPoint, scale: m * q.scale, offset };
}

/**
 * A binarized raw input: thresholds on the integers q, one per channel of the input (axis 1), or one per
 * element where the binarized tensor is flattened (a dense layer reads it: tabular and sensor features,
 * each with its own batch norm or offset). The chain is replayed on whole input tensors (chain.ts).
 */
function binarize(lw: Lowering, n: Node, val: RawInput): void {
  const out = n.outputs[0];
  const shape = lw.shape(out);
  const q = val.quant ?? lw.rawQuant();
  const [qmin, qmax] = q.dtype === 'uint8' ? [0, 255] : [-128, 127];
  const whole = lw.g.inputs[0].type.shape;
  const image = shape.length === 4;
  const groups = image ? (whole.length >= 2 ? whole[1] : 1) : sizeOf(whole.slice(1));
  const C = shape.length >= 2 ? shape[1] : 1;
  if (image ? C !== groups : sizeOf(shape.slice(1)) !== groups) {
    fail('BNNC_E031', `the binarized input ${shape.join('×')} does not keep the input's ${image ? 'channels' : 'elements'} (${groups}); bnnc binarizes the raw input in its own layout`, lw.where(n));
  }
  const chain: Chain = { scale: new Float64Array(groups).fill(q.scale), divisor: q.divisor === 1 ? undefined : q.divisor, steps: val.steps, channels: groups, wholeTensor: whole };
  const th = deriveThresholds(lw.g, chain, new Array<number>(groups).fill(qmin - q.zeroPoint), new Array<number>(groups).fill(qmax - q.zeroPoint), { node: n.name });
  const [H, W] = image ? [shape[2], shape[3]] : [1, 1];
  const layoutShape = image ? [shape[0], C, H, W] : [shape[0], 1, 1, C];
  const inName = reshapeInput(lw, val, layoutShape, n);
  const t = Int32Array.from(th.t, (x) => x + q.zeroPoint);
  const bits = lw.fresh(`${out}__bits`);
  lw.emit({ name: n.name, op: 'Threshold', domain: 'bnnc', inputs: [inName, lw.addInit(`${out}__t`, tensor('int32', [C], t)), lw.addInit(`${out}__k`, tensor('int8', [C], th.kind))], outputs: [bits], attrs: { layout: image ? 'NCHW' : 'NHWC', ...levelAttrs(th.levels) } });
  lw.set(out, { kind: 'bits', name: bits, C, H, W, flat: false, ...bitLevels(th.levels) });
}

const chainStep = (lw: Lowering, n: Node, slot: number, v: RawInput): void => {
  // the model's own input Quant is what the raw integers replace
  // (with the scalar arithmetic before it, which the raw integers absorb too: modelInputQuant)
  if (n === lw.inputQuantNode) {
    const [scale, zeroPoint] = [lw.konst(n.inputs[1])!.data[0], lw.konst(n.inputs[2])!.data[0]];
    return lw.set(n.outputs[0], { ...v, steps: v.steps.filter((s) => isShapeOnly(s.node)), quant: { ...lw.rawQuant(), scale, divisor: 1, zeroPoint } });
  }
  continueChain(lw, n, slot, v, { ...v, steps: [...v.steps, { node: n, slot }], floatShape: lw.shape(n.outputs[0]) }, binarize);
};

export const RAW_INPUT: KindRules<RawInput> = {
  layer: layerRule(FEED),
  chain: chainStep,
  reshape: chainStep,
  other(lw, n, slot, v) {
    // Cast to float32: exact on the raw 8-bit input (an int8/uint8 graph input read by float ops), so a no-op
    if (n.domain === '' && n.op === 'Cast' && n.attrs.to === 1) return lw.set(n.outputs[0], v);
    RAW_INPUT.refuse(lw, n, 'other', v);
  },
  output: (lw, name) => lw.refuseOutput(name, 'not computed by a binary layer'),
  refuse: (lw, n) => fail('BNNC_E031', `${n.op} on the raw input before any binary layer is not supported; the input may be reshaped, scaled and binarized`, lw.where(n)),
};
