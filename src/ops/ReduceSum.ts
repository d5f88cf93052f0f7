// ReduceSum: sum over axes (attribute before opset 13, input from 13); see reduce-util.ts.
import { reduceOp } from './reduce-util.js';

export const ReduceSum = reduceOp('ReduceSum', 13, false);
