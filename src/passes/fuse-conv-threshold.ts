// fuse-conv-threshold: a group-1 XnorConv or IntConv whose sums feed one NHWC Threshold and nothing else
// becomes one bnnc.<conv>Threshold node (inputs [x, w, T, K]) at the conv's place; conv → AccPool → NHWC
// Threshold, each feeding only the next, becomes bnnc.<conv>PoolThreshold (inputs [x, w, T, K, D], the
// AccPool's window as pool_* attributes). The C of a fused node packs each pixel's bits as its sums are made,
// so neither int32 map reaches the arena (a first layer's int32 map is 32× its packed form). Exact: the
// fused ops' eval is the composition of the parts' (src/ops/bnnc/ConvThreshold.ts).
import type { Graph, Node } from '../ir/types.js';
import { fusedPoolAttrs } from '../ops/bnnc/ConvThreshold.js';

export function fuseConvThreshold(g: Graph): Graph {
  const uses = new Map<string, Node[]>();
  for (const n of g.nodes) for (const s of n.inputs) uses.set(s, [...(uses.get(s) ?? []), n]);
  /** The one node reading s (as its first input), when s is not a graph output and nothing else reads it. */
  const only = (s: string, op: string): Node | undefined => {
    const u = uses.get(s) ?? [];
    const t = u[0];
    return u.length === 1 && t.domain === 'bnnc' && t.op === op && t.inputs[0] === s && !g.outputs.includes(s) ? t : undefined;
  };
  const nhwc = (t: Node | undefined) => (t && (t.attrs.layout ?? 'NHWC') === 'NHWC' ? t : undefined);
  const gone = new Set<Node>();
  const dropped: string[] = [];
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    if (gone.has(n)) continue;
    const conv = n.domain === 'bnnc' && (n.op === 'XnorConv' || n.op === 'IntConv') && ((n.attrs.group as number | undefined) ?? 1) === 1;
    const t = conv ? nhwc(only(n.outputs[0], 'Threshold')) : undefined;
    const p = conv && !t ? only(n.outputs[0], 'AccPool') : undefined;
    const pt = p ? nhwc(only(p.outputs[0], 'Threshold')) : undefined;
    if (t) {
      gone.add(t);
      dropped.push(n.outputs[0]);
      nodes.push({ ...n, op: `${n.op}Threshold`, inputs: [n.inputs[0], n.inputs[1], t.inputs[1], t.inputs[2]], outputs: t.outputs, attrs: { ...n.attrs, threshold_node: t.name } });
    } else if (p && pt) {
      gone.add(p).add(pt);
      dropped.push(n.outputs[0], p.outputs[0]);
      nodes.push({
        ...n, op: `${n.op}PoolThreshold`, inputs: [n.inputs[0], n.inputs[1], pt.inputs[1], pt.inputs[2], p.inputs[1]], outputs: pt.outputs,
        attrs: { ...n.attrs, ...fusedPoolAttrs(p.attrs), pool_node: p.name, threshold_node: pt.name },
      });
    } else {
      nodes.push(n);
    }
  }
  if (nodes.length === g.nodes.length) return g;
  const types = new Map(g.types);
  for (const s of dropped) types.delete(s);
  return { ...g, nodes, types };
}
