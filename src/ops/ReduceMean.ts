// ReduceMean: the sum over axes divided by their element count, float32: fround(sum / n); integers
// truncate. axes is an attribute before opset 18, an input from 18; see reduce-util.ts.
import { reduceOp } from './reduce-util.js';

export const ReduceMean = reduceOp('ReduceMean', 18, true);
