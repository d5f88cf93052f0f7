// Softmax and LogSoftmax, one definition. Before opset 13 the input is coerced to 2-D at `axis` (default 1):
// the op runs over all dimensions from `axis` on; from 13 it runs along the one axis (default -1).
// Per row, as the ONNX function bodies define it, float32 rounded at every step:
//   m = max x_j;  d_j = x_j - m;  e_j = exp(d_j);  s = e_0 + e_1 + … (left to right)
//   Softmax: y_j = e_j / s          LogSoftmax: y_j = d_j - log(s)
// Any NaN (or x = +Inf, or all x = -Inf) makes the whole row NaN. The arithmetic is softmax in
// src/numeric/kernels.ts (which the ts target copies).
import { fail } from '../errors.js';
import { normAxis, sizeOf } from '../ir/tensor.js';
import type { TensorType } from '../ir/types.js';
import { softmax } from '../numeric/kernels.js';
import { kernelCall, type OpContext, type OpDef } from './types.js';
import { expectDType, FLOATS, need, where } from './util.js';

/** The tensor seen as [outer, n, inner] with the op running over n. */
function layout(ctx: OpContext, x: TensorType): { outer: number; n: number; inner: number } {
  const rank = x.shape.length;
  const legacy = ctx.opset < 13;
  const given = (ctx.attrs.axis as number | undefined) ?? (legacy ? 1 : -1);
  const axis = normAxis(given, rank);
  if (axis === undefined) fail('BNNC_E006', `axis ${given} is out of range for rank ${rank}`, where(ctx));
  const outer = sizeOf(x.shape.slice(0, axis));
  if (legacy) return { outer, n: sizeOf(x.shape.slice(axis)), inner: 1 };
  return { outer, n: x.shape[axis], inner: sizeOf(x.shape.slice(axis + 1)) };
}

export function softmaxOp(op: 'Softmax' | 'LogSoftmax'): OpDef {
  const log = op === 'LogSoftmax';
  return {
    op,
    domain: '',
    inputs: { min: 1, max: 1 },
    outputs: { min: 1, max: 1 },
    attrs: { axis: { kind: 'int' } },
    infer(ctx, inputs) {
      const x = need(ctx, inputs, 0);
      expectDType(ctx, x, 0, FLOATS);
      layout(ctx, x);
      return [x];
    },
    eval(ctx, inputs) {
      const x = need(ctx, inputs, 0);
      const { outer, n, inner } = layout(ctx, x);
      return [{ dtype: x.dtype, shape: [...x.shape], data: softmax(x.data as Float32Array | Float64Array, outer, n, inner, log) }];
    },
    ts(ctx, inputs) {
      const { outer, n, inner } = layout(ctx, need(ctx, inputs, 0));
      return kernelCall(softmax, ctx.node.inputs[0], outer, n, inner, log);
    },
  };
}
