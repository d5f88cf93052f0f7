// The reference interpreter: a topological walk that calls each op's `eval`. It runs both dialects
// (ONNX as imported, bnnc's lowered ops), so any pass can be checked by running the graph before and after.
import { fail } from '../errors.js';
import { sameShape, shapeText } from '../ir/tensor.js';
import type { Graph, Tensor } from '../ir/types.js';
import { lookupOp } from '../ops/index.js';
import { bug } from '../errors.js';

export interface RunOptions {
  /** Keep every intermediate value (for layer-by-layer comparisons); default: only the graph outputs. */
  readonly keepAll?: boolean;
}

export function run(graph: Graph, feeds: ReadonlyMap<string, Tensor> | Record<string, Tensor>, opts: RunOptions = {}): Map<string, Tensor> {
  const feedMap = feeds instanceof Map ? feeds : new Map(Object.entries(feeds));
  const values = new Map<string, Tensor>(graph.initializers);
  for (const input of graph.inputs) {
    const t = feedMap.get(input.name);
    if (!t) fail('BNNC_E008', 'no value given for this graph input', { tensor: input.name });
    if (t.dtype !== input.type.dtype || !sameShape(t.shape, input.type.shape)) {
      fail('BNNC_E015', `given ${t.dtype}${shapeText(t.shape)}; the model takes ${input.type.dtype}${shapeText(input.type.shape)}`, { tensor: input.name });
    }
    values.set(input.name, t);
  }
  // free values after their last use unless the caller keeps them all
  const lastUse = new Map<string, number>();
  if (!opts.keepAll) graph.nodes.forEach((n, i) => n.inputs.forEach((s) => lastUse.set(s, i)));
  const keep = new Set(graph.outputs);

  graph.nodes.forEach((node, i) => {
    const def = lookupOp(node.domain, node.op);
    bug(def, `no op definition for ${node.domain}::${node.op}`);
    const args = node.inputs.map((s) => {
      if (s === '') return undefined;
      const v = values.get(s);
      bug(v, `value '${s}' missing when running '${node.name}'`);
      return v;
    });
    const outs = def.eval({ node, attrs: node.attrs, opset: graph.opset }, args);
    node.outputs.forEach((o, k) => { if (o !== '' && outs[k]) values.set(o, outs[k]); });
    if (!opts.keepAll) {
      for (const s of node.inputs) {
        if (lastUse.get(s) === i && !keep.has(s) && !graph.initializers.has(s)) values.delete(s);
      }
    }
  });
  if (opts.keepAll) return values;
  return new Map(graph.outputs.map((o) => [o, values.get(o)!]));
}
