// A Pad whose pads are all 0 (PyTorch writes one before AveragePool) becomes an Identity, which
// remove-identity (next in the pipeline) then takes out. Exact: with no cell added or cropped, every mode
// copies the input as it is. Constant operands only the Pad read (its pads, its value) go with it.
import type { Graph, Node } from '../ir/types.js';

export function dropZeroPad(g: Graph): Graph {
  const dropped: Node[] = [];
  const nodes = g.nodes.map((n): Node => {
    if (n.domain !== '' || n.op !== 'Pad' || !isZeroPad(g, n)) return n;
    dropped.push(n);
    return { name: n.name, op: 'Identity', domain: '', inputs: [n.inputs[0]], outputs: [n.outputs[0]], attrs: {} };
  });
  if (dropped.length === 0) return g;
  const read = new Set<string>([...nodes.flatMap((n) => n.inputs), ...g.outputs]);
  const initializers = new Map(g.initializers);
  const types = new Map(g.types);
  for (const s of dropped.flatMap((n) => n.inputs.slice(1))) {
    if (s !== '' && !read.has(s) && initializers.delete(s)) types.delete(s);
  }
  return { ...g, nodes, initializers, types };
}

/** Pads from the attribute (opset < 11) or the constant input (11+); shape inference made sure it is one. */
function isZeroPad(g: Graph, n: Node): boolean {
  const pads = n.inputs[1] ? g.initializers.get(n.inputs[1])?.data : (n.attrs.pads as readonly number[] | undefined);
  return pads !== undefined && Array.from(pads).every((p) => p === 0);
}
