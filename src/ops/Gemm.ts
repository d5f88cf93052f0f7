// Gemm: Y = alpha·op(A)·op(B) + beta·C, op = optional transpose, C broadcast to [M, N] (optional).
// float32 order, per output: acc = 0; for k ascending acc = fl(acc + fl(a·b)); y = fl(alpha·acc);
// then with C: y = fl(y + fl(beta·c)) (alpha = 1 and beta = 1 multiply exactly).
import { fail } from '../errors.js';
import { broadcastIndex, broadcastShapes, rounderFor, shapeText, tensor } from '../ir/tensor.js';
import type { TensorType } from '../ir/types.js';
import type { OpContext, OpDef } from './types.js';
import { attrFloat, attrInt, expectDType, expectRank, FLOATS, need, where } from './util.js';

/** [M, K, N] after the transposes; checks ranks, types, K and C's broadcast. */
function dims(ctx: OpContext, a: TensorType, b: TensorType, c: TensorType | undefined): [number, number, number] {
  expectDType(ctx, a, 0, FLOATS);
  expectRank(ctx, a, 0, 2);
  expectRank(ctx, b, 1, 2);
  for (const [i, t] of [[1, b], [2, c]] as const) {
    if (t && t.dtype !== a.dtype) fail('BNNC_E010', `input ${i} is ${t.dtype}; A is ${a.dtype}`, where(ctx, ctx.node.inputs[i]));
  }
  const [m, k] = attrInt(ctx, 'transA') ? [a.shape[1], a.shape[0]] : a.shape;
  const [kb, n] = attrInt(ctx, 'transB') ? [b.shape[1], b.shape[0]] : b.shape;
  if (k !== kb) {
    fail('BNNC_E009', `A${attrInt(ctx, 'transA') ? 'ᵀ' : ''} ${shapeText([m, k])} and B${attrInt(ctx, 'transB') ? 'ᵀ' : ''} ${shapeText([kb, n])} disagree on K`, where(ctx, ctx.node.inputs[1]));
  }
  const mn = broadcastShapes([m, n], c?.shape ?? []);
  if (c && (!mn || mn[0] !== m || mn[1] !== n)) {
    fail('BNNC_E009', `C has shape ${shapeText(c.shape)}, which does not broadcast to ${shapeText([m, n])}`, where(ctx, ctx.node.inputs[2]));
  }
  return [m, k, n];
}

export const Gemm: OpDef = {
  op: 'Gemm',
  domain: '',
  inputs: { min: 2, max: 3 },
  outputs: { min: 1, max: 1 },
  attrs: {
    alpha: { kind: 'float', default: 1 },
    beta: { kind: 'float', default: 1 },
    transA: { kind: 'int', default: 0 },
    transB: { kind: 'int', default: 0 },
  },
  infer(ctx, inputs) {
    const a = need(ctx, inputs, 0);
    const [m, , n] = dims(ctx, a, need(ctx, inputs, 1), inputs[2]);
    return [{ dtype: a.dtype, shape: [m, n] }];
  },
  eval(ctx, inputs) {
    const a = need(ctx, inputs, 0), b = need(ctx, inputs, 1), c = inputs[2];
    const [m, k, n] = dims(ctx, a, b, c);
    const round = rounderFor(a.dtype);
    const alpha = round(attrFloat(ctx, 'alpha')), beta = round(attrFloat(ctx, 'beta'));
    // element strides of op(A) along m and k, of op(B) along k and n
    const [am, ak] = attrInt(ctx, 'transA') ? [1, m] : [k, 1];
    const [bk, bn] = attrInt(ctx, 'transB') ? [1, k] : [n, 1];
    const ci = c && broadcastIndex(c.shape, [m, n]);
    const y = tensor(a.dtype, [m, n]);
    const ad = a.data, bd = b.data, yd = y.data;
    // k outer, outputs of a row inner: each output still sums over k ascending, but consecutive additions
    // belong to different outputs (see Conv); y's float32 elements are the accumulators (a store rounds).
    for (let i = 0; i < m; i++) {
      const y0 = (i * n) | 0;
      for (let l = 0; l < k; l++) {
        const av = ad[(i * am + l * ak) | 0], b0 = (l * bk) | 0;
        for (let j = 0; j < n; j++) yd[y0 + j] += round(av * bd[b0 + j * bn]);
      }
      for (let j = 0; j < n; j++) {
        const acc = round(alpha * yd[y0 + j]);
        yd[y0 + j] = c && ci ? round(acc + round(beta * c.data[ci[y0 + j]])) : acc;
      }
    }
    return [y];
  },
};
