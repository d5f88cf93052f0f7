// Sqrt: elementwise square root of floats; IEEE sqrt is correctly rounded, so fround(Math.sqrt) is exact.
// sqrt(-0) = -0, sqrt(x < 0) = NaN.
import { FLOATS, unaryOp } from './util.js';

export const Sqrt = unaryOp('Sqrt', Math.sqrt, { dtypes: FLOATS });
