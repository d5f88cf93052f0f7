// Mul: broadcasting a * b. A float32 product is exact in a double, so one Math.fround is the IEEE single
// result; int32 uses Math.imul (the double product could exceed 2^53 and lose the low bits before wrapping).
import { binaryOp } from './util.js';

export const Mul = binaryOp('Mul', (a, b, dtype) => (dtype === 'int32' ? Math.imul(a, b) : a * b));
