// The raw integer input q: how it maps to the float input (declared, or the model's own 8-bit input Quant),
// the float ops it may pass (shape-only ops, an exact Cast, scaling ending in a sign), and the two things
// it feeds: a first binary layer (bnnc.IntConv over the integers) or a binarization of the input itself
// (bnnc.Threshold on q, a threshold per channel, or per element before a dense layer).
import { fail } from '../errors.js';
import { sizeOf, tensor } from '../ir/tensor.js';
import type { Graph, InputQuant, Node } from '../ir/types.js';
import { type Chain, deriveThresholds, isShapeOnly } from './chain.js';
import type { Lowering } from './context.js';
import { intSumRange, layerRule } from './layer.js';
import { bitLevels, levelAttrs } from './levels.js';
import { continueChain } from './steps.js';
import type { KindRules, LayerFeed, RawInput } from './values.js';

/**
 * A float model that quantizes its own input with an 8-bit (or narrower) QONNX Quant right after the input
 * (through shape-only ops), with scalar constant scale and integer zero point: the raw input is then the
 * integer q = clip(round(x / scale + zero_point)) inside that Quant, and x' = (q − zero_point) · scale.
 */
export function modelInputQuant(g: Graph): { node: Node; quant: InputQuant } | undefined {
  if (g.inputs.length !== 1 || g.inputs[0].type.dtype !== 'float32') return undefined;
  let name = g.inputs[0].name;
  for (let hops = 0; hops < 16; hops++) {
    const users = g.nodes.filter((n) => n.inputs.includes(name));
    if (users.length !== 1) return undefined;
    const n = users[0];
    if (isShapeOnly(n)) { name = n.outputs[0]; continue; }
    if (n.domain !== 'qonnx' || n.op !== 'Quant' || n.inputs[0] !== name) return undefined;
    const [s, z, b] = [1, 2, 3].map((i) => g.initializers.get(n.inputs[i]));
    if (!s || !z || !b || sizeOf(s.shape) !== 1 || sizeOf(z.shape) !== 1 || sizeOf(b.shape) !== 1) return undefined;
    const bits = b.data[0], zp = z.data[0], scale = s.data[0];
    const signed = n.attrs.signed !== 0;
    if (!Number.isInteger(bits) || bits < 2 || bits > 8 || !Number.isInteger(zp) || !(scale > 0)) return undefined;
    const [lo, hi] = signed ? [-128, 127] : [0, 255];
    if (zp < lo || zp > hi) return undefined;
    return { node: n, quant: { dtype: signed ? 'int8' : 'uint8', scale, divisor: 1, zeroPoint: zp } };
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
    if (val.steps.some((s) => !isShapeOnly(s.node))) fail('BNNC_E031', 'arithmetic on the raw input before the first binary layer is not supported; fold it into the input quantization', lw.where(n));
    const q = lw.rawQuant();
    const { C, H, W } = w.geometry;
    const inName = reshapeInput(lw, val, [lw.inputType.shape[0], C, H, W], n);
    lw.emit({ name: n.name, op: 'IntConv', domain: 'bnnc', inputs: [inName, lw.addInit(`${w.weightName}__int8`, tensor('int8', w.shape, w.signs))], outputs: [acc],
      attrs: { ...w.attrs, pads: w.pads, zero_point: q.zeroPoint, layout: 'NCHW' } });
    // reachable sums: each term s·(q − zp) at whichever end of q's range makes it smallest (largest)
    const [qmin, qmax] = q.dtype === 'uint8' ? [0, 255] : [-128, 127];
    const { lo, hi } = intSumRange(w.signs, w.shape[0], qmin, qmax, q.zeroPoint);
    return { lo, hi, scale: q.scale, divisor: q.divisor };
  },
};

/**
 * A binarized raw input: thresholds on the integers q, one per channel of the input (axis 1), or one per
 * element where the binarized tensor is flattened (a dense layer reads it: tabular and sensor features,
 * each with its own batch norm or offset). The chain is replayed on whole input tensors (chain.ts).
 */
function binarize(lw: Lowering, n: Node, val: RawInput): void {
  const out = n.outputs[0];
  const shape = lw.shape(out);
  const q = lw.rawQuant();
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
  if (n === lw.inputQuantNode) return lw.set(n.outputs[0], v);
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
