// GlobalAveragePool: the mean over all spatial positions of each (n, c) plane, keeping the spatial axes
// as 1s. float32 order: the sum in row-major order from 0, acc = fl(acc + x), then fl(acc / count).
import { fail } from '../errors.js';
import { rounderFor, shapeText, sizeOf, tensor } from '../ir/tensor.js';
import type { TensorType } from '../ir/types.js';
import type { OpContext, OpDef } from './types.js';
import { expectDType, FLOATS, need, where } from './util.js';

function outShape(ctx: OpContext, x: TensorType): number[] {
  expectDType(ctx, x, 0, FLOATS);
  if (x.shape.length < 3) fail('BNNC_E009', `input has shape ${shapeText(x.shape)}; GlobalAveragePool needs [N, C, spatial…]`, where(ctx, ctx.node.inputs[0]));
  return [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)];
}

export const GlobalAveragePool: OpDef = {
  op: 'GlobalAveragePool',
  domain: '',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  attrs: {},
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    return [{ dtype: x.dtype, shape: outShape(ctx, x) }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const y = tensor(x.dtype, outShape(ctx, x));
    const round = rounderFor(x.dtype);
    const plane = sizeOf(x.shape.slice(2));
    const xd = x.data, yd = y.data;
    for (let q = 0; q < yd.length; q++) {
      let acc = 0;
      for (let i = 0; i < plane; i++) acc = round(acc + xd[q * plane + i]);
      yd[q] = round(acc / plane);
    }
    return [y];
  },
};
