// BipolarQuant: y = (x >= 0 ? +1 : -1) · scale, scale broadcast numpy-style (qonnx's binary_quant in
// src/qonnx/custom_op/general/bipolar_quant.py: np.where(x >= 0.0, 1, -1) * scale). So 0 and -0 give +scale
// and NaN gives -scale. One float32 operation per element (±1 · scale), hence exact.
import type { OpDef } from '../types.js';
import { broadcastOrFail, expectDType, need } from '../util.js';
import { broadcastIndex, tensor } from '../../ir/tensor.js';

export const BipolarQuant: OpDef = {
  op: 'BipolarQuant',
  domain: 'qonnx',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: {},
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0), scale = need(ctx, inputs, 1);
    expectDType(ctx, x, 0, ['float32']);
    expectDType(ctx, scale, 1, ['float32']);
    return [{ dtype: 'float32', shape: broadcastOrFail(ctx, [x, scale]) }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0), scale = need(ctx, inputs, 1);
    const shape = broadcastOrFail(ctx, [x, scale]);
    const ix = broadcastIndex(x.shape, shape), is = broadcastIndex(scale.shape, shape);
    const out = tensor('float32', shape);
    const xd = x.data, sd = scale.data, od = out.data;
    for (let k = 0; k < od.length; k++) od[k] = xd[ix[k]] >= 0 ? sd[is[k]] : -sd[is[k]];
    return [out];
  },
};
