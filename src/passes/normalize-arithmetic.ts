// Sub and Div by a constant become Add and Mul, so the binarization passes see one form of affine op.
// x − c = x + (−c) exactly in IEEE arithmetic; x / c and x · (1/c) can differ by one ULP in float32, which
// is why this pass belongs to the lowering pipeline (where thresholds are computed in exact rational
// arithmetic from the constants) and not to the float reference path.
import { tensor } from '../ir/tensor.js';
import type { Graph, Node, Tensor } from '../ir/types.js';

export function normalizeArithmetic(g: Graph): Graph {
  let changed = false;
  const initializers = new Map(g.initializers);
  const nodes = g.nodes.map((n): Node => {
    if (n.domain !== '' || (n.op !== 'Sub' && n.op !== 'Div')) return n;
    const c = initializers.get(n.inputs[1]);
    if (!c || (c.dtype !== 'float32' && c.dtype !== 'float64')) return n;
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
  let name = base;
  for (let i = 1; inits.has(name) || g.types.has(name); i++) name = `${base}_${i}`;
  return name;
}
