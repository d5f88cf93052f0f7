// Constants that must be finite: the weights, biases and scales of layers, and batch-norm parameters. A NaN
// or an infinity there is a broken export (FINN MultiThreshold tables are not listed: ±inf are legal there).
import { fail } from '../errors.js';
import type { Node, Tensor } from '../ir/types.js';
import { firstNonFinite } from '../ir/limits.js';

/** Ops (IR domain::op) whose constant float operands must all be finite. */
export const FINITE_OPERAND_OPS: ReadonlySet<string> = new Set([
  '::Conv', '::Gemm', '::MatMul', '::BatchNormalization', '::Mul', '::Div', '::Add', '::Sub',
  'qonnx::BipolarQuant', 'qonnx::Quant', 'qonnx::XnorPopcountMatMul',
]);

/** Fails on the first constant operand of `n` holding NaN or ±inf; `constOf` gives a name's constant value. */
export function checkFiniteOperands(n: Node, constOf: (name: string) => Tensor | undefined): void {
  if (!FINITE_OPERAND_OPS.has(`${n.domain}::${n.op}`)) return;
  n.inputs.forEach((s, i) => {
    const t = s === '' ? undefined : constOf(s);
    const bad = t && firstNonFinite(t);
    if (bad) {
      fail('BNNC_E018', `input ${i} holds ${bad[1]} at element ${bad[0]}; ${n.op} weights, scales and batch-norm parameters must be finite`,
        { node: n.name, op: n.op, tensor: s });
    }
  });
}
