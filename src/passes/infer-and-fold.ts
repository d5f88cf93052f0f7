// Shape inference and constant folding in one topological walk: a node's shape rule may need the value of
// an operand that is itself computed from constants (Reshape's shape from Shape→Gather→Concat), so each
// node is first typed, then evaluated at compile time when all its inputs are constants.
// `Shape` folds from its input's static type alone. Folded nodes become initializers. Every inferred
// output is checked against the tensor size limit before anything is evaluated (a Reshape, Concat or
// broadcast can ask for an absurd shape), and folded constants feeding weights or scales must be finite.
import { bug } from '../errors.js';
import { DEFAULT_MAX_TENSOR_BYTES } from '../ir/limits.js';
import { sameShape, shapeText, tensor } from '../ir/tensor.js';
import type { Graph, Node, Tensor, TensorType } from '../ir/types.js';
import { checkFiniteOperands } from '../ops/finite.js';
import { inferNode } from '../ops/infer.js';

/** Ops whose result depends only on their inputs' static types. */
const TYPE_ONLY = new Set(['Shape']);

export interface InferOptions {
  readonly fold?: boolean;
  /** Largest tensor, in bytes, that shape inference accepts (--max-tensor-bytes). */
  readonly maxTensorBytes?: number;
}

export function inferAndFold(graph: Graph, opts: InferOptions = {}): Graph {
  const fold = opts.fold ?? true;
  const maxBytes = opts.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  const folded = new Set<string>();
  const types = new Map<string, TensorType>();
  for (const i of graph.inputs) types.set(i.name, i.type);
  const initializers = new Map(graph.initializers);
  for (const [k, t] of initializers) types.set(k, { dtype: t.dtype, shape: t.shape });
  const kept: Node[] = [];
  let changed = false;

  for (const node of graph.nodes) {
    const inTypes = node.inputs.map((s) => (s === '' ? undefined : types.get(s)));
    const inferred = inferNode(node, (s) => types.get(s), (s) => initializers.get(s), graph.opset, maxBytes);
    const def = inferred.def;
    node.outputs.forEach((o, k) => { if (o !== '') types.set(o, inferred.types[k]!); });
    const ctx = { node, attrs: node.attrs, opset: graph.opset };

    const allConst = node.inputs.every((s) => s === '' || initializers.has(s));
    const typeOnly = TYPE_ONLY.has(node.op) && node.domain === '';
    if (fold && (allConst || typeOnly) && node.outputs.every((o) => !graph.outputs.includes(o))) {
      const args = node.inputs.map((s, i): Tensor | undefined => {
        if (s === '') return undefined;
        return initializers.get(s) ?? { dtype: inTypes[i]!.dtype, shape: inTypes[i]!.shape, data: new Float32Array(0) };
      });
      const outs = def.eval(ctx, args);
      node.outputs.forEach((o, k) => {
        if (o === '') return;
        const v = outs[k];
        bug(v && sameShape(v.shape, types.get(o)!.shape) && v.dtype === types.get(o)!.dtype,
          `${node.op} '${node.name}': evaluated ${v?.dtype}${shapeText(v?.shape ?? [])} differs from inferred ${types.get(o)!.dtype}${shapeText(types.get(o)!.shape)}`);
        initializers.set(o, v);
        folded.add(o);
      });
      changed = true;
      continue;
    }
    // an original initializer was checked at import; a value folded here (Div by zero...) was not
    checkFiniteOperands(node, (s) => (folded.has(s) ? initializers.get(s) : undefined));
    kept.push(node);
  }
  for (const o of graph.outputs) bug(types.has(o), `output '${o}' has no type`);

  // drop initializers nothing reads any more (folded weight sub-graph intermediates)
  const used = new Set<string>([...kept.flatMap((n) => n.inputs), ...graph.outputs]);
  for (const k of [...initializers.keys()]) if (!used.has(k)) { initializers.delete(k); changed = true; }
  for (const k of [...types.keys()]) if (!used.has(k) && !kept.some((n) => n.outputs.includes(k)) && !graph.inputs.some((i) => i.name === k)) types.delete(k);

  const typesChanged = types.size !== graph.types.size || [...types].some(([k, t]) => {
    const old = graph.types.get(k);
    return !old || old.dtype !== t.dtype || !sameShape(old.shape, t.shape);
  });
  if (!changed && !typesChanged) return graph;
  return { ...graph, nodes: kept, initializers, types };
}

export { tensor };
