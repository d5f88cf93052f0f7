// GreaterOrEqual (opset 12+): broadcasting a >= b → bool; any comparison with NaN is false.
import { binaryOp } from './util.js';

export const GreaterOrEqual = binaryOp('GreaterOrEqual', (a, b) => (a >= b ? 1 : 0), { outDType: 'bool' });
