// Abs: elementwise |x| (abs(-0) = 0). Integers wrap as in C: abs(int8 -128) = -128.
import { unaryOp } from './util.js';

export const Abs = unaryOp('Abs', Math.abs);
