// Squeeze: removes the listed axes of size 1, or every size-1 axis when none are listed. Axes come as an
// attribute (opset < 13) or a constant input (opset 13+); both are accepted.
import { fail } from '../errors.js';
import { shapeText } from '../ir/tensor.js';
import type { Tensor } from '../ir/types.js';
import { listOperand, normAxes, relabel } from './shape-operand.js';
import type { OpContext, OpDef } from './types.js';
import { need, where } from './util.js';

function squeezed(ctx: OpContext, shape: readonly number[], consts: readonly (Tensor | undefined)[]): number[] {
  const given = listOperand(ctx, consts, 'axes', 1);
  const axes = given ? normAxes(ctx, given, shape.length) : shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of axes) {
    if (shape[a] !== 1) fail('BNNC_E009', `axis ${a} of ${shapeText(shape)} has size ${shape[a]}, not 1`, where(ctx, ctx.node.inputs[0]));
  }
  return shape.filter((_, i) => !axes.includes(i));
}

export const Squeeze: OpDef = {
  op: 'Squeeze',
  domain: '',
  inputs: { min: 1, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: { axes: { kind: 'ints' } },
  infer(ctx, inputs, consts) {
    const x = need(ctx, inputs, 0);
    return [{ dtype: x.dtype, shape: squeezed(ctx, x.shape, consts) }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    return [relabel(x, squeezed(ctx, x.shape, inputs))];
  },
};
