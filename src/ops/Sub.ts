// Sub: broadcasting a - b; one IEEE operation per element, so float32 results are exact (0 ULP);
// fixed-width integers wrap.
import { binaryOp } from './util.js';

export const Sub = binaryOp('Sub', (a, b) => a - b);
