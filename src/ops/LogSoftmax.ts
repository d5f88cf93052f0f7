// LogSoftmax: (x - max) - log(sum exp(x - max)) along an axis (2-D coercion before opset 13); see softmax-util.ts.
import { softmaxOp } from './softmax-util.js';

export const LogSoftmax = softmaxOp('LogSoftmax');
