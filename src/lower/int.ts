// A k-bit integer tensor (values.ts IntTensor): what it can feed. A binary layer reads it as bnnc.IntConv
// over the integers (NHWC, the tensor's zero point; a dense layer's weights keep the float model's NCHW
// column order, which IntConv's [M, C, H, W] weights read from NHWC data); a flatten marks it flat; a graph
// output (or a float op) reads it dequantized by its level table, bit for bit the model's quantizer output.
// Max-pooling after the quantizer pools the accumulators before it (accumulator.ts); an average pool sums
// the integers (avgpool.ts); elementwise ops ending in a sign threshold the integers (int-chain.ts).
import { fail } from '../errors.js';
import { sizeOf, tensor } from '../ir/tensor.js';
import type { Lowering } from './context.js';
import { avgPoolInt, isAvgPool } from './avgpool.js';
import { intChain } from './int-chain.js';
import { intSumRange, layerRule } from './layer.js';
import type { IntTensor, KindRules, LayerFeed } from './values.js';

const FEED: LayerFeed<IntTensor> = {
  geometry: (_lw, v, inShape) => (inShape.length === 2 ? { C: v.C, H: v.H, W: v.W } : { C: v.C, H: 1, W: 1 }),
  emit(lw, n, v, w, acc) {
    if (v.bits > 8 || v.dtype === 'int16') fail('BNNC_E111', `this layer reads ${v.bits}-bit activations (${v.qmin} … ${v.qmax}); bnnc's binary layers take at most 8 bits`, lw.where(n));
    lw.emit({ name: n.name, op: 'IntConv', domain: 'bnnc', inputs: [v.name, lw.addInit(`${w.weightName}__int8`, tensor('int8', w.shape, w.signs))], outputs: [acc],
      attrs: { ...w.attrs, pads: w.pads, zero_point: v.zeroPoint, layout: 'NHWC', qmin: v.qmin, qmax: v.qmax } });
    const { lo, hi } = intSumRange(w.signs, w.shape[0], v.qmin, v.qmax, v.zeroPoint);
    return { lo, hi, scale: v.scale, divisor: 1 };
  },
};

/** The float32 tensor `to` of the float graph from the integers: the level table, NCHW as the model has it. */
export function dequantize(lw: Lowering, to: string, v: IntTensor): void {
  const f = Math.fround;
  const levels = v.levels ?? Float32Array.from({ length: v.qmax - v.qmin + 1 }, (_, i) => f((v.qmin + i - v.zeroPoint) * v.scale));
  const shape = lw.shape(to);
  const nchw = [shape[0], v.C, v.H, v.W];
  if (sizeOf(shape) !== sizeOf(nchw)) fail('BNNC_E031', `integer activations [C=${v.C},H=${v.H},W=${v.W}] read as ${shape.join('x')}`, { tensor: to });
  const same = shape.length === 4 && shape.every((d, i) => d === nchw[i]);
  const y = same ? to : lw.fresh(`${to}__nchw`);
  lw.emit({ name: `${to}/dequantize`, op: 'Dequantize', domain: 'bnnc', inputs: [v.name, lw.addInit(`${to}__levels`, tensor('float32', [levels.length], levels))], outputs: [y], attrs: { qmin: v.qmin } });
  if (!same) lw.emit({ name: `${to}/reshape`, op: 'Reshape', domain: '', inputs: [y, lw.addInit(`${to}__shape`, tensor('int64', [shape.length], shape))], outputs: [to], attrs: { allowzero: 0 } });
  lw.set(to, { kind: 'float', name: to });
}

export const INT_TENSOR: KindRules<IntTensor> = {
  layer: layerRule(FEED),
  pool: (lw, n, _slot, v) => (isAvgPool(n) ? avgPoolInt(lw, n, v) : INT_TENSOR.refuse(lw, n, 'pool', v)),
  chain: intChain,
  reshape(lw, n, _slot, v) {
    const shape = lw.shape(n.outputs[0]);
    if (sizeOf(shape) !== shape[0] * v.C * v.H * v.W) fail('BNNC_E031', `reshaping integer activations [C=${v.C},H=${v.H},W=${v.W}] to ${shape.join('x')} is not supported`, lw.where(n));
    lw.set(n.outputs[0], { ...v, flat: shape.length === 2 });
  },
  other(lw, n, slot, v) {
    dequantize(lw, n.inputs[slot], v);
    lw.copyFloat(n);
  },
  output: (lw, name, v) => dequantize(lw, name, v),
  refuse: (lw, n) => fail('BNNC_E031', `${n.op} on integer activations is not supported`, lw.where(n)),
};
