// MatMul: numpy matmul: a 1-D A gains (then loses) a leading 1, a 1-D B a trailing 1; batch axes broadcast.
// float32 order, per output: acc = 0; for k ascending acc = fl(acc + fl(a·b)). int32 wraps like C.
import { fail } from '../errors.js';
import { broadcastIndex, broadcastShapes, rounderFor, shapeText, sizeOf, tensor } from '../ir/tensor.js';
import type { TensorType } from '../ir/types.js';
import type { OpContext, OpDef } from './types.js';
import { expectDType, need, where } from './util.js';

interface Plan { batch: number[]; m: number; k: number; n: number; out: number[] }

function plan(ctx: OpContext, a: TensorType, b: TensorType): Plan {
  expectDType(ctx, a, 0, ['float32', 'float64', 'int32']);
  if (b.dtype !== a.dtype) fail('BNNC_E010', `B is ${b.dtype}; A is ${a.dtype}`, where(ctx, ctx.node.inputs[1]));
  for (const [i, t] of [[0, a], [1, b]] as const) {
    if (t.shape.length === 0) fail('BNNC_E009', `input ${i} is a scalar; MatMul needs rank >= 1`, where(ctx, ctx.node.inputs[i]));
  }
  const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const [m, k] = as.slice(-2), [kb, n] = bs.slice(-2);
  const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
  if (k !== kb || !batch) {
    fail('BNNC_E009', `shapes ${shapeText(a.shape)} and ${shapeText(b.shape)} do not multiply`, where(ctx, ctx.node.inputs[1]));
  }
  const out = [...batch, ...(a.shape.length === 1 ? [] : [m]), ...(b.shape.length === 1 ? [] : [n])];
  return { batch, m, k, n, out };
}

export const MatMul: OpDef = {
  op: 'MatMul',
  domain: '',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: {},
  infer(ctx, inputs) {
    const a = need(ctx, inputs, 0);
    return [{ dtype: a.dtype, shape: plan(ctx, a, need(ctx, inputs, 1)).out }];
  },
  eval(ctx, inputs) {
    const a = need(ctx, inputs, 0), b = need(ctx, inputs, 1);
    const { batch, m, k, n, out } = plan(ctx, a, b);
    const round = rounderFor(a.dtype);
    const mul = a.dtype === 'int32' ? Math.imul : (x: number, w: number) => round(x * w);
    // the flat index of each batch's first matrix element, by broadcasting per-batch matrix numbers
    const batchOf = (shape: readonly number[]) => shape.length <= 2 ? new Int32Array(sizeOf(batch)) : broadcastIndex(shape.slice(0, -2), batch);
    const ia = batchOf(a.shape), ib = batchOf(b.shape);
    const y = tensor(a.dtype, out);
    const ad = a.data, bd = b.data, yd = y.data;
    // k outer, outputs of a row inner (see Gemm); y's elements are the accumulators: a store rounds to
    // float32 or wraps to int32, as round(acc + mul(a, b)) does
    for (let q = 0; q < ia.length; q++) {
      const a0 = ia[q] * m * k, b0 = ib[q] * k * n, y0 = q * m * n;
      for (let i = 0; i < m; i++) {
        const yi = (y0 + i * n) | 0;
        for (let l = 0; l < k; l++) {
          const av = ad[(a0 + i * k + l) | 0], bl = (b0 + l * n) | 0;
          for (let j = 0; j < n; j++) yd[yi + j] += mul(av, bd[bl + j]);
        }
      }
    }
    return [y];
  },
};
