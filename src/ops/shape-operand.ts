// Shape operands: integer inputs whose values decide output shapes (Reshape's shape, Squeeze/Unsqueeze axes,
// Pad's pads) must be constants at shape inference; and axis lists, normalized and checked once, here.
import { fail } from '../errors.js';
import { normAxis } from '../ir/tensor.js';
import type { Tensor } from '../ir/types.js';
import type { OpContext } from './types.js';
import { attrInts, needConst, where } from './util.js';

/** The integer values of input i (int64, or int32 where ONNX allows it). */
export function intsOf(ctx: OpContext, t: Tensor, i: number): number[] {
  if (t.dtype !== 'int64' && t.dtype !== 'int32') {
    fail('BNNC_E010', `input ${i} has element type ${t.dtype}; expected int64`, where(ctx, ctx.node.inputs[i]));
  }
  if (t.shape.length > 1) fail('BNNC_E009', `input ${i} must be a 1-D list of integers`, where(ctx, ctx.node.inputs[i]));
  return Array.from(t.data);
}

/**
 * An integer list given either as attribute `attr` (older opsets) or as input i (newer ones; both forms
 * are accepted at every opset). `consts` is the constant table at shape inference, or the evaluated
 * inputs at run time. Undefined when neither is given.
 */
export function listOperand(ctx: OpContext, consts: readonly (Tensor | undefined)[], attr: string, i: number): number[] | undefined {
  if (ctx.node.inputs[i]) return intsOf(ctx, needConst(ctx, consts, i), i);
  return attrInts(ctx, attr) ? [...attrInts(ctx, attr)!] : undefined;
}

/** Normalizes axes against a rank; out-of-range or repeated axes are errors. */
export function normAxes(ctx: OpContext, axes: readonly number[], rank: number, what = 'axes'): number[] {
  const out = axes.map((a) => {
    const n = normAxis(a, rank);
    if (n === undefined) fail('BNNC_E006', `${what} [${axes.join(',')}]: axis ${a} is out of range for rank ${rank}`, where(ctx));
    return n;
  });
  if (new Set(out).size !== out.length) fail('BNNC_E006', `${what} [${axes.join(',')}] repeat an axis`, where(ctx));
  return out;
}

/** A tensor with a new shape over the same elements (layout ops that only relabel dimensions). */
export function relabel(t: Tensor, shape: readonly number[]): Tensor {
  return { dtype: t.dtype, shape: [...shape], data: t.data };
}
