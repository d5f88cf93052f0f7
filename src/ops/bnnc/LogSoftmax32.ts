// LogSoftmax32: log-softmax along one axis with the portable exp32 and log32 (src/numeric/float32-math.ts),
// bit-exact in every C back end. Per row, one float32 operation per step, in this order:
//   m = x_0; for j = 1 … n−1: m = x_j if x_j > m          (max, left to right)
//   s = +0;  for j = 0 … n−1: s = s + exp32(x_j − m)       (sum left to right in float32)
//   L = log32(s);  y_j = (x_j − m) − L
// The definition is shared with Softmax32 (Softmax32.ts).
import { softmax32Op } from './Softmax32.js';

export const LogSoftmax32 = softmax32Op('LogSoftmax32');
