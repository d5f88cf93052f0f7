// Unsqueeze: inserts size-1 axes at the listed positions of the output (negative counted from the output's
// end). Axes come as an attribute (opset < 13) or a constant input (opset 13+); both are accepted.
import { fail } from '../errors.js';
import type { Tensor } from '../ir/types.js';
import { listOperand, normAxes, relabel } from './shape-operand.js';
import type { OpContext, OpDef } from './types.js';
import { need, where } from './util.js';

function unsqueezed(ctx: OpContext, shape: readonly number[], consts: readonly (Tensor | undefined)[]): number[] {
  const given = listOperand(ctx, consts, 'axes', 1);
  if (!given) fail('BNNC_E006', "needs 'axes' (an attribute before opset 13, an input from 13)", where(ctx));
  const rank = shape.length + given.length;
  const axes = normAxes(ctx, given, rank);
  const rest = [...shape];
  return Array.from({ length: rank }, (_, i) => (axes.includes(i) ? 1 : rest.shift()!));
}

export const Unsqueeze: OpDef = {
  op: 'Unsqueeze',
  domain: '',
  inputs: { min: 1, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: { axes: { kind: 'ints' } },
  infer(ctx, inputs, consts) {
    const x = need(ctx, inputs, 0);
    return [{ dtype: x.dtype, shape: unsqueezed(ctx, x.shape, consts) }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    return [relabel(x, unsqueezed(ctx, x.shape, inputs))];
  },
};
