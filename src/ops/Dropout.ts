// Dropout in inference: the output is the input and the optional mask is all ones (true; of the input's
// type before opset 10). onnxruntime fills the mask with zeros before opset 12; bnnc follows the ONNX
// reference. Training mode (opset 12+ input 2) is random, so it must be a constant false.
import { fail } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { DType, TensorType } from '../ir/types.js';
import type { OpContext, OpDef } from './types.js';
import { FLOATS, expectDType, need, needConst, where } from './util.js';

function maskType(ctx: OpContext, x: TensorType): TensorType {
  return { dtype: ctx.opset < 10 ? x.dtype : ('bool' as DType), shape: x.shape };
}

export const Dropout: OpDef = {
  op: 'Dropout',
  domain: '',
  inputs: { min: 1, max: 3 },
  outputs: { min: 1, max: 2 },
  attrs: { ratio: { kind: 'float', default: 0.5 }, seed: { kind: 'int' } },
  infer(ctx, inputs, consts) {
    const x = need(ctx, inputs, 0);
    expectDType(ctx, x, 0, FLOATS);
    if (ctx.opset < 12 && inputs.length > 1) fail('BNNC_E007', 'before opset 12 Dropout takes one input (ratio is an attribute)', where(ctx));
    if (inputs[2] !== undefined) {
      const training = needConst(ctx, consts, 2);
      if (training.data[0]) fail('BNNC_E017', 'training_mode is true: training-mode Dropout is random; export the model for inference', where(ctx, ctx.node.inputs[2]));
    }
    return [x, maskType(ctx, x)];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    if ((ctx.node.outputs[1] ?? '') === '') return [x];
    const m = maskType(ctx, x);
    const mask = tensor(m.dtype, m.shape);
    mask.data.fill(1);
    return [x, mask];
  },
};
