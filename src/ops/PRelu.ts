// PRelu: y = x < 0 ? slope·x : x, the slope broadcast to x (per channel as [C, 1, 1] in ReActNet's RPReLU).
// One float32 product where x < 0; x itself otherwise (NaN passes through).
import { binaryOp, FLOATS } from './util.js';

export const PRelu = binaryOp('PRelu', (x, slope) => (x < 0 ? slope * x : x), { dtypes: FLOATS });
