// Sign: elementwise -1, 0 or 1; sign(±0) = +0 and sign(NaN) = NaN, as onnxruntime computes it.
import { unaryOp } from './util.js';

export const Sign = unaryOp('Sign', (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN));
