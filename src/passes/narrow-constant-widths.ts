// A float64 constant exponent of a float32 Pow (older FINN exports, opset 9) becomes a float32 constant
// when every value is a float32, so later passes, the lowering and the C see one float width. Exact:
// fround(v) = v for each value, and pow reads the same numbers. (Pow's shape rule refuses the values
// float32 cannot hold, BNNC_E085, before opset 12; from opset 12 mixed widths are legal and kept as they are.)
import { tensor } from '../ir/tensor.js';
import type { Graph, Node } from '../ir/types.js';

export function narrowConstantWidths(g: Graph): Graph {
  const initializers = new Map(g.initializers);
  const types = new Map(g.types);
  const narrowed = new Map<string, string>();
  let changed = false;
  const nodes = g.nodes.map((n): Node => {
    if (n.domain !== '' || n.op !== 'Pow' || g.types.get(n.inputs[0])?.dtype !== 'float32') return n;
    const b = g.initializers.get(n.inputs[1]);
    if (!b || b.dtype !== 'float64' || !Array.from(b.data).every((v) => Object.is(Math.fround(v), v))) return n;
    let name = narrowed.get(n.inputs[1]);
    if (!name) {
      name = `${n.inputs[1]}__f32`;
      for (let i = 1; types.has(name); i++) name = `${n.inputs[1]}__f32_${i}`;
      initializers.set(name, tensor('float32', b.shape, Array.from(b.data)));
      types.set(name, { dtype: 'float32', shape: b.shape });
      narrowed.set(n.inputs[1], name);
    }
    changed = true;
    return { ...n, inputs: [n.inputs[0], name] };
  });
  if (!changed) return g;
  const read = new Set([...nodes.flatMap((n) => n.inputs), ...g.outputs]);
  for (const old of narrowed.keys()) if (!read.has(old)) { initializers.delete(old); types.delete(old); }
  return { ...g, nodes, initializers, types };
}
