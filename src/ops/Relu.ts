// Relu: elementwise x < 0 ? 0 : x, so relu(-0) = -0 and relu(NaN) = NaN, as onnxruntime computes it.
// Signed integers are allowed from opset 14.
import { unaryOp } from './util.js';

export const Relu = unaryOp('Relu', (x) => (x < 0 ? 0 : x), {
  dtypes: ['float32', 'float64', 'int8', 'int16', 'int32', 'int64'],
});
