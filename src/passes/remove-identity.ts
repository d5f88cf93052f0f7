// Removes Identity and inference-mode Dropout nodes by renaming their consumers' inputs; a node that feeds a
// graph output directly is kept, so output names stay as the model declares them.
import type { Graph, Node } from '../ir/types.js';

const PASS_THROUGH = new Set(['Identity', 'Dropout']);

export function removeIdentity(g: Graph): Graph {
  const victim = g.nodes.find((n) => n.domain === '' && PASS_THROUGH.has(n.op) && !g.outputs.includes(n.outputs[0])
    && n.outputs.slice(1).every((o) => o === '' || !isUsed(g, o)));
  if (!victim) return g;
  const from = victim.outputs[0], to = victim.inputs[0];
  const nodes: Node[] = g.nodes.filter((n) => n !== victim)
    .map((n) => (n.inputs.includes(from) ? { ...n, inputs: n.inputs.map((s) => (s === from ? to : s)) } : n));
  const types = new Map(g.types);
  types.delete(from);
  return { ...g, nodes, types };
}

function isUsed(g: Graph, name: string): boolean {
  return g.outputs.includes(name) || g.nodes.some((n) => n.inputs.includes(name));
}
