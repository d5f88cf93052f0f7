// Sigmoid32: the logistic function with the portable exp32 (src/numeric/float32-math.ts) in place of a libm
// exp, so every C back end reproduces it bit for bit: per element, in float32, with exp32 never overflowing,
//   x ≥ 0:            d = 1 + exp32(−x);  y = 1 / d
//   x < 0 (and NaN):  e = exp32(x);  d = 1 + e;  y = e / d   (keeps e^x down to the subnormals)
// −∞ gives +0, +∞ gives 1, ±0 gives 0.5, NaN gives NaN. Produced by the
// portable-math pass from ONNX Sigmoid (a one-logit binary classifier's output). The arithmetic is
// sigmoid32 in src/numeric/kernels.ts.
import { sizeOf, tensor } from '../../ir/tensor.js';
import { sigmoid32 } from '../../numeric/kernels.js';
import { kernelCall, type OpDef } from '../types.js';
import { expectDType, need } from '../util.js';
import type { CDataContext, CLayer } from '../c-layer.js';

export const Sigmoid32: OpDef = {
  op: 'Sigmoid32',
  domain: 'bnnc',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  attrs: {},
  cData: sigmoid32CData,
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    expectDType(ctx, x, 0, ['float32']);
    return [x];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    return [tensor('float32', x.shape, sigmoid32(x.data))];
  },
  ts(ctx) {
    return kernelCall(sigmoid32, ctx.node.inputs[0]);
  },
};

// ---- C data (cData hook): the count Sigmoid32.c.hbs loops over (exp32 from the float32-math partial).
function sigmoid32CData(c: CDataContext): CLayer {
  return { partial: 'Sigmoid32', comment: `${c.head}\n * y = 1 / (1 + exp32(-x)) for x >= 0, exp32(x) / (1 + exp32(x)) otherwise, per element`, COUNT: sizeOf(c.type(c.node.inputs[0]).shape) };
}
