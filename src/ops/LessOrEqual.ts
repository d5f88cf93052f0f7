// LessOrEqual (opset 12+): broadcasting a <= b → bool; any comparison with NaN is false.
import { binaryOp } from './util.js';

export const LessOrEqual = binaryOp('LessOrEqual', (a, b) => (a <= b ? 1 : 0), { outDType: 'bool' });
