// Removes Identity and inference-mode Dropout nodes by renaming their consumers' inputs; a node that feeds a
// graph output directly is kept, so output names stay as the model declares them. One linear pass: nodes
// are decided last to first, so every reader of a node's outputs is decided before the node itself.
import type { Graph, Node } from '../ir/types.js';

const PASS_THROUGH = new Set(['Identity', 'Dropout']);

/**
 * Walking backwards, `uses` counts the readers each name will have in the result: removing `o = Identity(i)`
 * hands o's readers to i (uses[i] += uses[o] − 1, the −1 being the removed node's own read). A Dropout
 * whose mask ends up unread is removable too, so the result is the fixed point in one walk. `rename`
 * maps a removed output to its input; chains resolve through it (a → b → c) once, with path compression.
 */
export function removeIdentity(g: Graph): Graph {
  const uses = new Map<string, number>();
  const use = (s: string, k: number) => { if (s !== '') uses.set(s, (uses.get(s) ?? 0) + k); };
  for (const n of g.nodes) for (const s of n.inputs) use(s, 1);
  const outputs = new Set(g.outputs);
  for (const o of outputs) use(o, 1);

  const rename = new Map<string, string>();
  const removed = new Set<Node>();
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k];
    if (n.domain !== '' || !PASS_THROUGH.has(n.op)) continue;
    const [out, ...rest] = n.outputs;
    if (outputs.has(out) || rest.some((o) => o !== '' && (uses.get(o) ?? 0) > 0)) continue;
    const from = n.inputs[0];
    removed.add(n);
    rename.set(out, from);
    use(from, (uses.get(out) ?? 0) - 1);
    for (const s of n.inputs.slice(1)) use(s, -1);
  }
  if (removed.size === 0) return g;

  const resolve = (s: string): string => {
    let t = s;
    while (rename.has(t)) t = rename.get(t)!;
    for (let u = s; u !== t; ) { const next = rename.get(u)!; rename.set(u, t); u = next; }
    return t;
  };
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    if (removed.has(n)) continue;
    nodes.push(n.inputs.some((s) => rename.has(s)) ? { ...n, inputs: n.inputs.map(resolve) } : n);
  }
  const types = new Map(g.types);
  for (const n of removed) for (const o of n.outputs) types.delete(o);
  return { ...g, nodes, types };
}
