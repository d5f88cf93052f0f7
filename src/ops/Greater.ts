// Greater: broadcasting a > b → bool; any comparison with NaN is false.
import { binaryOp } from './util.js';

export const Greater = binaryOp('Greater', (a, b) => (a > b ? 1 : 0), { outDType: 'bool' });
