// Softmax: exp(x - max) / sum along an axis (2-D coercion before opset 13); see softmax-util.ts.
import { softmaxOp } from './softmax-util.js';

export const Softmax = softmaxOp('Softmax');
