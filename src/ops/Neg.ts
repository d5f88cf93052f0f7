// Neg: elementwise -x for floats (neg(0) = -0) and signed integers (wrapping: neg(int8 -128) = -128).
import { isFloat } from '../ir/tensor.js';
import { unaryOp } from './util.js';

export const Neg = unaryOp('Neg', (x, dtype) => (isFloat(dtype) ? -x : 0 - x), {
  dtypes: ['float32', 'float64', 'int8', 'int16', 'int32', 'int64'],
});
