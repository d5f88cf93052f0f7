// Sub by a constant becomes Add, and Div by a power of two Mul, so later passes see one form of affine op.
// Both rewrites are exact: x − c = x + (−c) in IEEE arithmetic, and for c = ±2^k with 1/c a normal float,
// x / c and x · (1/c) are the same real number rounded once. Division by any other c stays: x · fl(1/c)
// can differ from fl(x / c) by one ULP, and the lowering replays these very ops in float32 to place its
// thresholds, so an inexact rewrite would move a threshold off the float model's decision.
import { tensor } from '../ir/tensor.js';
import type { Graph, Node, Tensor } from '../ir/types.js';
import { freshName } from '../ir/names.js';

export function normalizeArithmetic(g: Graph): Graph {
  let changed = false;
  const initializers = new Map(g.initializers);
  const nodes = g.nodes.map((n): Node => {
    if (n.domain !== '' || (n.op !== 'Sub' && n.op !== 'Div')) return n;
    const c = initializers.get(n.inputs[1]);
    if (!c || (c.dtype !== 'float32' && c.dtype !== 'float64')) return n;
    if (n.op === 'Div' && !Array.from(c.data).every((v) => exactReciprocal(v, c.dtype === 'float32'))) return n;
    const name = uniqueName(initializers, g, `${n.inputs[1]}__${n.op === 'Sub' ? 'neg' : 'recip'}`);
    const round = c.dtype === 'float32' ? Math.fround : (v: number) => v;
    const t: Tensor = tensor(c.dtype, c.shape, Array.from(c.data, (v) => round(n.op === 'Sub' ? -v : 1 / v)));
    initializers.set(name, t);
    changed = true;
    return { ...n, op: n.op === 'Sub' ? 'Add' : 'Mul', inputs: [n.inputs[0], name] };
  });
  if (!changed) return g;
  const types = new Map(g.types);
  for (const [k, t] of initializers) if (!types.has(k)) types.set(k, { dtype: t.dtype, shape: t.shape });
  return { ...g, nodes, initializers, types };
}

function uniqueName(inits: ReadonlyMap<string, Tensor>, g: Graph, base: string): string {
  return freshName(base, inits, g.types);
}

/** True when 1/v is exact: v = ±2^k with 1/v a normal number of the type (float32 or float64). */
function exactReciprocal(v: number, f32: boolean): boolean {
  if (v === 0 || !Number.isFinite(v)) return false;
  const e = Math.round(Math.log2(Math.abs(v)));
  return Math.abs(v) === 2 ** e && (f32 ? e >= -127 && e <= 126 : e >= -1023 && e <= 1022);
}
