// Add: broadcasting a + b; one IEEE operation per element, so float32 results are exact (0 ULP).
import { binaryOp } from './util.js';

export const Add = binaryOp('Add', (a, b) => a + b);
