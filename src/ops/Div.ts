// Div: broadcasting a / b. Floats: one IEEE division (exact). Integers truncate toward zero, as C and
// onnxruntime do; x / 0 is undefined in ONNX (onnxruntime traps), bnnc defines it as 0, and INT_MIN / -1
// wraps. int64 uses BigInt: a double quotient near 2^53 can round up to the next integer before truncation.
import { isFloat } from '../ir/tensor.js';
import { binaryOp } from './util.js';

export const Div = binaryOp('Div', (a, b, dtype) => {
  if (isFloat(dtype)) return a / b;
  if (b === 0) return 0;
  if (dtype === 'int64') return Number(BigInt(a) / BigInt(b));
  return Math.trunc(a / b) + 0; // + 0 turns -0 into 0
});
