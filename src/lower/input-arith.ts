// Arithmetic on the raw input before the first binary layer (FINN CNV's x·2 − 1, a mean subtraction), folded
// where exact:
//   - into the model's own input Quant: x → m·x + c → Quant(scale s, zero point z) makes the raw input the
//     Quant's integer n, with x = (n − z')·(s/m), z' = z + c/s (an integer): checked by replaying the ops
//     in float32 on every n of the Quant's range, each of which must land exactly on the Quant's grid;
//   - into the first layer's integer sum: with x = (q − zp)·u (u = scale/divisor),
//       y = m·x + c = m·u·(q − zp') + r,   zp' = zp − round(c/(m·u)),   r = c − m·u·(zp − zp'),
//     the layer sums Σ w·y = α·(m·u·acc + r·Σσ_f) over acc = Σ σ·(q − zp'): scale m·u and, where r ≠ 0
//     (the shift is no whole number of input steps), a constant per filter, which padding would break
//     (a padding tap holds y = 0, not r).
// The float model rounds after each op; the lowered layer computes the exact sum (its chain rounds once),
// as for any first layer on a scaled input. Anything else is BNNC_E163, naming the op.
import { fail } from '../errors.js';
import type { Graph, Node } from '../ir/types.js';
import { isShapeOnly, type Step } from './chain.js';

/** y = m·x + c, in float64. */
export interface Affine { readonly m: number; readonly c: number }

/** The scalar constant of `n` (its one operand besides `slot`), if it is one. */
function scalarOperand(g: Graph, n: Node, slot: number): number | undefined {
  const others = n.inputs.filter((s, i) => i !== slot && s !== '');
  if (others.length !== 1) return undefined;
  const t = g.initializers.get(others[0]);
  return t && t.data.length === 1 ? t.data[0] : undefined;
}

/** `n` (reading the chained value at `slot`) as y = m·x + c, or undefined if it is not a scalar affine op. */
export function scalarAffine(g: Graph, n: Node, slot: number): Affine | undefined {
  if (n.domain !== '') return undefined;
  if (n.op === 'Neg') return { m: -1, c: 0 };
  const k = scalarOperand(g, n, slot);
  if (k === undefined) return undefined;
  switch (n.op) {
    case 'Mul': return { m: k, c: 0 };
    case 'Add': return { m: 1, c: k };
    case 'Sub': return slot === 0 ? { m: 1, c: -k } : { m: -1, c: k };
    case 'Div': return slot === 0 && k !== 0 ? { m: 1 / k, c: 0 } : undefined;
    default: return undefined;
  }
}

/** The same op in float32, as the float model computes it. */
function apply32(g: Graph, n: Node, slot: number, x: number): number {
  if (n.op === 'Neg') return -x;
  const k = scalarOperand(g, n, slot)!;
  switch (n.op) {
    case 'Mul': return Math.fround(x * k);
    case 'Add': return Math.fround(x + k);
    case 'Sub': return Math.fround(slot === 0 ? x - k : k - x);
    default: return Math.fround(x / k);
  }
}

/** The composed affine map of `steps` (shape-only ones skipped); fails (E163) at the first op that is not one. */
export function composeAffine(g: Graph, steps: readonly Step[], why: string): Affine {
  let m = 1, c = 0;
  for (const { node, slot } of steps) {
    if (isShapeOnly(node)) continue;
    const a = scalarAffine(g, node, slot);
    if (!a) {
      fail('BNNC_E163', `'${node.name}' (${node.op}) on the raw input cannot be folded ${why}: bnnc folds Mul, Div, Add, Sub and Neg by a scalar constant`, { node: node.name, op: node.op });
    }
    m *= a.m;
    c = c * a.m + a.c;
  }
  if (m === 0 || !Number.isFinite(m) || !Number.isFinite(c)) fail('BNNC_E163', `the arithmetic on the raw input scales it by ${m}; it cannot be folded ${why}`, { node: steps.at(-1)?.node.name });
  return { m, c };
}

/** The steps' float32 result for one input value x (the float model's arithmetic, op by op). */
export function replayScalar(g: Graph, steps: readonly Step[], x: number): number {
  for (const { node, slot } of steps) if (!isShapeOnly(node)) x = apply32(g, node, slot, x);
  return x;
}

/** Whole-number test with a relative tolerance for the float64 composition of the constants. */
export function nearInteger(v: number): number | undefined {
  const r = Math.round(v);
  return Math.abs(v - r) <= 1e-9 * Math.max(1, Math.abs(v)) ? r : undefined;
}
