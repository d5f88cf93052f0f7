// XnorPopcountMatMul (FINN): A·B over {0,1}-encoded bits, counting agreements: y = popcount(XNOR(a_row, b_col)).
// qonnx (src/qonnx/custom_op/general/xnorpopcount.py) computes it as a bipolar matmul: a' = 2a - 1, b' = 2b - 1,
// d = a'·b' = P - N with P + N = K, so P = (d + K) / 2. bnnc does the same in the input's float type, in this
// order: a' = fl(fl(2a) - 1); acc = 0; for k ascending acc = fl(acc + fl(a'·b')); y = fl(fl(acc + K) · 0.5).
// For 0/1 inputs every step is exact and y is the popcount; other values follow the formula (numpy's BLAS
// summation order is unspecified, bnnc's is k ascending). Shapes: numpy matmul with a [K, N] or [K] B.
import { fail } from '../../errors.js';
import { rounderFor, shapeText, sizeOf, tensor } from '../../ir/tensor.js';
import type { TensorType } from '../../ir/types.js';
import type { OpContext, OpDef } from '../types.js';
import { expectDType, expectRank, FLOATS, need, where } from '../util.js';

interface Plan { m: number; k: number; n: number; out: number[] }

function plan(ctx: OpContext, a: TensorType, b: TensorType): Plan {
  expectDType(ctx, a, 0, FLOATS);
  if (b.dtype !== a.dtype) fail('BNNC_E010', `input 1 is ${b.dtype}; input 0 is ${a.dtype}`, where(ctx, ctx.node.inputs[1]));
  if (a.shape.length === 0) fail('BNNC_E009', 'input 0 is a scalar; XnorPopcountMatMul needs rank >= 1', where(ctx, ctx.node.inputs[0]));
  // qonnx takes K from B's first axis, so B is a matrix [K, N] (or a vector [K]), never batched
  expectRank(ctx, b, 1, [1, 2]);
  const k = a.shape[a.shape.length - 1];
  if (b.shape[0] !== k) {
    fail('BNNC_E009', `shapes ${shapeText(a.shape)} and ${shapeText(b.shape)} disagree on K`, where(ctx, ctx.node.inputs[1]));
  }
  const n = b.shape.length === 2 ? b.shape[1] : 1;
  const lead = a.shape.slice(0, -1); // batch axes and M, or nothing for a vector A
  const out = [...lead, ...(b.shape.length === 2 ? [n] : [])];
  return { m: sizeOf(lead), k, n, out };
}

export const XnorPopcountMatMul: OpDef = {
  op: 'XnorPopcountMatMul',
  domain: 'qonnx',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: {},
  infer(ctx, inputs) {
    const a = need(ctx, inputs, 0);
    return [{ dtype: a.dtype, shape: plan(ctx, a, need(ctx, inputs, 1)).out }];
  },
  eval(ctx, inputs) {
    const a = need(ctx, inputs, 0), b = need(ctx, inputs, 1);
    const { m, k, n, out } = plan(ctx, a, b);
    const f = rounderFor(a.dtype);
    const bipolar = (v: number) => f(f(2 * v) - 1);
    const y = tensor(a.dtype, out);
    const ad = a.data, bd = b.data, yd = y.data;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let l = 0; l < k; l++) acc = f(acc + f(bipolar(ad[i * k + l]) * bipolar(bd[l * n + j])));
        yd[i * n + j] = f(f(acc + k) * 0.5);
      }
    }
    return [y];
  },
};
