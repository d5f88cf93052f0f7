// Where: y = cond ? x : y elementwise, with numpy broadcasting across all three inputs.
import { fail } from '../errors.js';
import { broadcastIndex, tensor } from '../ir/tensor.js';
import type { OpDef } from './types.js';
import { broadcastOrFail, expectDType, need, where } from './util.js';

export const Where: OpDef = {
  op: 'Where',
  domain: '',
  inputs: { min: 3, max: 3 },
  outputs: { min: 1, max: 1 },
  attrs: {},
  infer(ctx, inputs) {
    const [c, x, y] = [0, 1, 2].map((i) => need(ctx, inputs, i));
    expectDType(ctx, c, 0, ['bool']);
    if (x.dtype !== y.dtype) fail('BNNC_E010', `inputs have element types ${x.dtype} and ${y.dtype}; expected the same`, where(ctx, ctx.node.inputs[2]));
    return [{ dtype: x.dtype, shape: broadcastOrFail(ctx, [c, x, y]) }];
  },
  eval(ctx, inputs) {
    const [c, x, y] = [0, 1, 2].map((i) => need(ctx, inputs, i));
    const shape = broadcastOrFail(ctx, [c, x, y]);
    const ic = broadcastIndex(c.shape, shape), ix = broadcastIndex(x.shape, shape), iy = broadcastIndex(y.shape, shape);
    const out = tensor(x.dtype, shape);
    for (let k = 0; k < out.data.length; k++) out.data[k] = c.data[ic[k]] ? x.data[ix[k]] : y.data[iy[k]];
    return [out];
  },
};
