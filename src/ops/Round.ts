// Round (opset 11): elementwise nearest integer, halves to even (round(2.5) = 2, round(-0.5) = -0), the
// sign of a zero result kept, ±∞ and NaN unchanged: numpy's rint, which qonnx's ROUND mode is too.
import { roundHalfEven } from './qonnx/rounding.js';
import { FLOATS, unaryOp } from './util.js';

export const Round = unaryOp('Round', roundHalfEven, { dtypes: FLOATS });
