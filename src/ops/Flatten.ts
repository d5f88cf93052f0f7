// Flatten: [d0 … dn] → [d0·…·d(axis−1), d(axis)·…·dn]; axis in [−rank, rank] (negative from opset 11).
import { fail } from '../errors.js';
import { sizeOf } from '../ir/tensor.js';
import type { OpContext, OpDef } from './types.js';
import { attrInt, need, where } from './util.js';
import { relabel } from './shape-operand.js';

function flat(ctx: OpContext, shape: readonly number[]): number[] {
  const r = shape.length, a = attrInt(ctx, 'axis');
  if (a < -r || a > r) fail('BNNC_E006', `axis ${a} is out of range for rank ${r} (expected ${-r} to ${r})`, where(ctx));
  const axis = a < 0 ? a + r : a;
  return [sizeOf(shape.slice(0, axis)), sizeOf(shape.slice(axis))];
}

export const Flatten: OpDef = {
  op: 'Flatten',
  domain: '',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  attrs: { axis: { kind: 'int', default: 1 } },
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    return [{ dtype: x.dtype, shape: flat(ctx, x.shape) }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    return [relabel(x, flat(ctx, x.shape))];
  },
};
