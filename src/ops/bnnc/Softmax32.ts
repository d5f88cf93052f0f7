// Softmax32: softmax along one axis with the portable exp32 (src/numeric/float32-math.ts) in place of a libm
// exp, so every C back end reproduces it bit for bit. Per row x_0 … x_{n−1} along `axis`, one float32
// operation per step, in this order:
//   m = x_0; for j = 1 … n−1: m = x_j if x_j > m          (max, left to right)
//   s = +0;  for j = 0 … n−1: e_j = exp32(x_j − m); s = s + e_j   (sum left to right in float32)
//   Softmax32: y_j = e_j / s          LogSoftmax32 (LogSoftmax32.ts): y_j = (x_j − m) − log32(s)
// Produced by the portable-math pass from ONNX Softmax / LogSoftmax; a NaN input gives a NaN row (NaN bit
// patterns are not part of the contract). The arithmetic is softmax32 in src/numeric/kernels.ts.
import { fail } from '../../errors.js';
import { normAxis, shapeText, sizeOf, tensor } from '../../ir/tensor.js';
import type { Tensor, TensorType } from '../../ir/types.js';
import { softmax32 } from '../../numeric/kernels.js';
import { kernelCall, type OpContext, type OpDef } from '../types.js';
import { expectDType, need, where } from '../util.js';
import { withDefaults } from './common.js';
import type { CDataContext, CLayer } from '../c-layer.js';

const ATTRS = { axis: { kind: 'int', default: -1 } } as const;

/** The input seen as [outer, n, inner], the op running over n (the axis). */
export function softmax32Layout(ctx: OpContext, x: TensorType): { outer: number; n: number; inner: number } {
  expectDType(ctx, x, 0, ['float32']);
  const rank = x.shape.length;
  const axis = normAxis(ctx.attrs.axis as number, rank);
  if (axis === undefined) fail('BNNC_E006', `axis ${ctx.attrs.axis} is out of range for rank ${rank}`, where(ctx));
  if (x.shape[axis] === 0) fail('BNNC_E009', `input 0 has shape ${shapeText(x.shape)}: axis ${axis} is empty`, where(ctx, ctx.node.inputs[0]));
  return { outer: sizeOf(x.shape.slice(0, axis)), n: x.shape[axis], inner: sizeOf(x.shape.slice(axis + 1)) };
}

/** Softmax32 (log = false) or LogSoftmax32 (log = true), in the order of the header. */
export function softmax32Op(op: 'Softmax32' | 'LogSoftmax32'): OpDef {
  const log = op === 'LogSoftmax32';
  return {
    op,
    domain: 'bnnc',
    inputs: { min: 1, max: 1 },
    outputs: { min: 1, max: 1 },
    attrs: ATTRS,
    cData: (c) => softmax32CData(c, op),
    infer(ctx0, inputs) {
      const ctx = withDefaults(ctx0, ATTRS);
      const x = need(ctx, inputs, 0);
      softmax32Layout(ctx, x);
      return [x];
    },
    eval(ctx0, inputs): Tensor[] {
      const ctx = withDefaults(ctx0, ATTRS);
      const x = need(ctx, inputs, 0);
      const { outer, n, inner } = softmax32Layout(ctx, x);
      return [tensor('float32', x.shape, softmax32(x.data, outer, n, inner, log))];
    },
    ts(ctx0, inputs) {
      const ctx = withDefaults(ctx0, ATTRS);
      const { outer, n, inner } = softmax32Layout(ctx, need(ctx, inputs, 0));
      return kernelCall(softmax32, ctx.node.inputs[0], outer, n, inner, log);
    },
  };
}

export const Softmax32 = softmax32Op('Softmax32');

// ---- C data (cData hook): the numbers Softmax32.c.hbs / LogSoftmax32.c.hbs lay out (the portable
// exp32/log32 of templates/common/partials/float32-math.hbs, in the order above).
function softmax32CData(c: CDataContext, op: 'Softmax32' | 'LogSoftmax32'): CLayer {
  const n = c.node;
  const xs = c.type(n.inputs[0]).shape;
  const rank = xs.length, axis = (((n.attrs.axis as number | undefined) ?? -1) + rank) % rank;
  return {
    partial: op,
    comment: `${c.head}\n * ${op === 'Softmax32' ? 'e = exp32(x - max), y = e / sum' : 'y = (x - max) - log32(sum of exp32(x - max))'} along axis ${axis}; max and sum left to right`,
    OUTER: sizeOf(xs.slice(0, axis)), N: xs[axis], INNER: sizeOf(xs.slice(axis + 1)),
  };
}
