// Sigmoid: y = 1 / (1 + exp(−x)), elementwise, float32 rounded at every step with the engine's exp (the
// arithmetic is sigmoid in src/numeric/kernels.ts, which the ts target copies). After the last binary layer
// the portable-math pass makes it bnnc.Sigmoid32, whose exp32 the C back ends reproduce bit for bit.
import { sigmoid } from '../numeric/kernels.js';
import { kernelCall, type OpDef } from './types.js';
import { expectDType, FLOATS, need } from './util.js';

export const Sigmoid: OpDef = {
  op: 'Sigmoid',
  domain: '',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  attrs: {},
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    expectDType(ctx, x, 0, FLOATS);
    return [x];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    return [{ dtype: x.dtype, shape: [...x.shape], data: sigmoid(x.data as Float32Array | Float64Array) }];
  },
  ts(ctx) {
    return kernelCall(sigmoid, ctx.node.inputs[0]);
  },
};
