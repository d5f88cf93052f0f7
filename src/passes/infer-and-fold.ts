// Shape inference and constant folding in one topological walk: a node's shape rule may need the value of
// an operand that is itself computed from constants (Reshape's shape from Shape→Gather→Concat), so each
// node is first typed, then evaluated at compile time when all its inputs are constants.
// `Shape` folds from its input's static type alone. Folded nodes become initializers. Every inferred
// output is checked against the tensor size limit before anything is evaluated (a Reshape, Concat or
// broadcast can ask for an absurd shape), and folded constants feeding weights or scales must be finite.
import { fail } from '../errors.js';
import { checkFiniteOperands } from '../onnx/finite.js';
import { checkDims, DEFAULT_MAX_TENSOR_BYTES } from '../onnx/tensor-proto.js';
import { sameShape, shapeText, tensor } from '../ir/tensor.js';
import type { Graph, Node, Tensor, TensorType } from '../ir/types.js';
import { lookupOp } from '../ops/index.js';
import { bug } from '../errors.js';

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
    const def = lookupOp(node.domain, node.op);
    bug(def, `no op definition for ${node.domain}::${node.op}`);
    const where = { node: node.name, op: node.op };
    const present = node.inputs.filter((s) => s !== '').length;
    if (node.inputs.length < def.inputs.min || node.inputs.length > def.inputs.max || present < Math.min(def.inputs.min, 1)) {
      fail('BNNC_E007', `has ${node.inputs.length} inputs; ${node.op} takes ${def.inputs.min === def.inputs.max ? def.inputs.min : `${def.inputs.min} to ${def.inputs.max}`}`, where);
    }
    if (node.outputs.length < def.outputs.min || node.outputs.length > def.outputs.max) {
      fail('BNNC_E007', `has ${node.outputs.length} outputs; ${node.op} gives ${def.outputs.min} to ${def.outputs.max}`, where);
    }
    const inTypes = node.inputs.map((s) => (s === '' ? undefined : types.get(s)));
    node.inputs.forEach((s, i) => bug(s === '' || inTypes[i], `type of '${s}' unknown at '${node.name}'`));
    const consts = node.inputs.map((s) => (s === '' ? undefined : initializers.get(s)));
    const ctx = { node, attrs: node.attrs, opset: graph.opset };
    const outTypes = def.infer(ctx, inTypes, consts);
    node.outputs.forEach((o, k) => {
      if (o === '') return;
      const t = outTypes[k];
      bug(t, `${node.op} gave no type for output ${k}`);
      if (t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
        fail('BNNC_E009', `output shape ${shapeText(t.shape)} is not valid`, { ...where, tensor: o });
      }
      checkDims(t.shape, t.dtype, maxBytes, { ...where, tensor: o });
      types.set(o, t);
    });

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
