// FINN's XnorPopcountMatMul with constant {0, 1} weights B [K, N] → MatMul(a, σ) + c, σ = 2B − 1 (±1),
// so the binary layer lowers as any ±1 dense layer on {0, 1} activations (levels.ts folds those).
// Derivation: the op is y = (a'·σ + K)/2 with a' = 2a − 1 (ops/qonnx/XnorPopcountMatMul.ts), and
//   a'·σ = Σ_k (2a_k − 1)·σ_kn = 2·Σ_k a_k·σ_kn − Σ_k σ_kn,   so   y = a·σ + (K − Σ_k σ_kn)/2 = a·σ + c_n,
// an identity for every a. For a in {0, 1} (what FINN's MultiThreshold feeds it) both sides are small
// integers, exact in float32; other a round differently (not bit-preserving then, like normalize-arithmetic).
// Weights that are not constant or not all 0 and 1 are left as they are (the lowering then refuses the op).
import { tensor } from '../ir/tensor.js';
import type { Graph, Node, Tensor } from '../ir/types.js';
import { freshName } from '../ir/names.js';

export function xnorPopcountAsMatmul(g: Graph): Graph {
  const nodes: Node[] = [];
  const initializers = new Map(g.initializers);
  const types = new Map(g.types);
  const fresh = (base: string): string => freshName(base, types, initializers);
  const replaced = new Set<string>();
  for (const n of g.nodes) {
    const B = n.domain === 'qonnx' && n.op === 'XnorPopcountMatMul' ? g.initializers.get(n.inputs[1]) : undefined;
    const a = g.types.get(n.inputs[0]);
    if (!B || !a || B.shape.length !== 2 || B.dtype !== a.dtype || !Array.from(B.data).every((v) => v === 0 || v === 1)) {
      nodes.push(n);
      continue;
    }
    const [K, N] = B.shape;
    const sigma: Tensor = tensor(B.dtype, [K, N], Array.from(B.data, (v) => 2 * v - 1));
    const c = tensor(B.dtype, [N], Array.from({ length: N }, (_, j) => {
      let s = 0;
      for (let k = 0; k < K; k++) s += sigma.data[k * N + j];
      return (K - s) / 2;
    }));
    const y = n.outputs[0];
    const yType = g.types.get(y)!;
    const w = fresh(`${n.inputs[1]}__bipolar`), cb = fresh(`${n.name}__popcount_offset`);
    initializers.set(w, sigma);
    types.set(w, { dtype: sigma.dtype, shape: sigma.shape });
    initializers.set(cb, c);
    types.set(cb, { dtype: c.dtype, shape: c.shape });
    const dot = fresh(`${y}__dot`);
    types.set(dot, yType);
    nodes.push({ name: n.name, op: 'MatMul', domain: '', inputs: [n.inputs[0], w], outputs: [dot], attrs: {} });
    nodes.push({ name: `${n.name}/popcount_offset`, op: 'Add', domain: '', inputs: [dot, cb], outputs: [y], attrs: {} });
    replaced.add(n.inputs[1]);
  }
  if (replaced.size === 0) return g;
  // the {0, 1} weights go when nothing else reads them
  const read = new Set<string>([...nodes.flatMap((m) => m.inputs), ...g.outputs]);
  for (const s of replaced) {
    if (!read.has(s)) { initializers.delete(s); types.delete(s); }
  }
  return { ...g, nodes, initializers, types };
}
