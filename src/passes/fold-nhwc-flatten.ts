// Keras/Larq order: Transpose(perm [0, 2, …, r−1, 1]) to channels-last, Flatten (or a Reshape to
// [N, K]), optionally elementwise ops with scalar constants (a sign), then a dense layer (Gemm or MatMul)
// with constant weights. The Transpose goes; the Flatten reads the channels-first tensor; the weights'
// K axis is permuted to match. The pair reads every value with the same weight as before, but sums the K
// products in another order: in float32 that can move the dense layer's result by rounding, so this is a
// NORMALIZE_PIPELINE pass (the float model the interpreter runs keeps its bits). What the lowering makes
// of it is exact: over ±1 activations (or the integer raw input) and ±1 weights, the sum is an integer and
// every order gives the same one.
import { tensor } from '../ir/tensor.js';
import type { Graph, Node, Tensor } from '../ir/types.js';
import { freshName } from '../ir/names.js';

/** Elementwise ops that may sit between the flatten and the dense layer, with size-1 constant operands. */
const ELEMENTWISE = new Set(['Sign', 'Relu', 'Neg', 'Abs', 'Clip', 'Add', 'Sub', 'Mul', 'Div', 'Identity', 'Dropout']);

/**
 * With x = [N, C, S₁…Sₙ] and S = ∏Sᵢ, the channels-last flat index of (c, s) is j = s·C + c and the
 * channels-first one i = c·S + s. The rewritten layer's weight for input i is the old weight for j(i).
 */
export function foldNhwcFlatten(g: Graph): Graph {
  const readers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const s of n.inputs) readers.set(s, [...(readers.get(s) ?? []), n]);
  const only = (s: string): Node | undefined => {
    const r = readers.get(s);
    return r && r.length === 1 && !g.outputs.includes(s) ? r[0] : undefined;
  };
  const replaced = new Map<Node, Node | undefined>(); // undefined: removed
  const initializers = new Map(g.initializers);
  const types = new Map(g.types);

  for (const t of g.nodes) {
    if (t.domain !== '' || t.op !== 'Transpose') continue;
    const x = g.types.get(t.inputs[0])!;
    const r = x.shape.length, perm = t.attrs.perm as readonly number[] | undefined;
    if (r < 3 || !perm || perm.some((p, i) => p !== (i === 0 ? 0 : i === r - 1 ? 1 : i + 1))) continue;
    const f = only(t.outputs[0]);
    if (!f || f.domain !== '' || (f.op !== 'Flatten' && f.op !== 'Reshape') || f.inputs[0] !== t.outputs[0]) continue;
    const [N, C] = x.shape, S = x.shape.slice(2).reduce((a, b) => a * b, 1);
    const fs = g.types.get(f.outputs[0])!.shape;
    if (fs.length !== 2 || fs[0] !== N || fs[1] !== C * S) continue;
    // the elementwise run, then the dense layer
    let at = f.outputs[0], d = only(at);
    while (d && d.domain === '' && ELEMENTWISE.has(d.op) && d.inputs[0] === at && d.inputs.slice(1).every((s) => s === '' || (g.initializers.get(s)?.data.length ?? 2) === 1)) {
      at = d.outputs[0];
      d = only(at);
    }
    if (!d || d.domain !== '' || (d.op !== 'Gemm' && d.op !== 'MatMul') || d.inputs[0] !== at || (d.op === 'Gemm' && d.attrs.transA)) continue;
    const w = g.initializers.get(d.inputs[1]);
    if (!w || w.shape.length !== 2) continue;
    const kFirst = !(d.op === 'Gemm' && d.attrs.transB); // [K, M], else [M, K]
    const M = kFirst ? w.shape[1] : w.shape[0];
    const data = new Array<number>(w.data.length);
    for (let c = 0; c < C; c++) {
      for (let s = 0; s < S; s++) {
        const i = c * S + s, j = s * C + c;
        for (let m = 0; m < M; m++) data[kFirst ? i * M + m : m * C * S + i] = w.data[kFirst ? j * M + m : m * C * S + j];
      }
    }
    const name = unique(initializers, types, `${d.inputs[1]}__nchw`);
    const nw: Tensor = tensor(w.dtype, w.shape, data);
    initializers.set(name, nw);
    types.set(name, { dtype: w.dtype, shape: w.shape });
    replaced.set(t, undefined);
    types.delete(t.outputs[0]);
    replaced.set(f, { name: f.name, op: 'Flatten', domain: '', inputs: [t.inputs[0]], outputs: f.outputs, attrs: { axis: 1 } });
    replaced.set(d, { ...d, inputs: [d.inputs[0], name, ...d.inputs.slice(2)] });
  }
  if (replaced.size === 0) return g;
  const nodes = g.nodes.flatMap((n) => (replaced.has(n) ? (replaced.get(n) ? [replaced.get(n)!] : []) : [n]));
  const read = new Set([...nodes.flatMap((n) => n.inputs), ...g.outputs]);
  for (const k of [...initializers.keys()]) if (!read.has(k) && !g.inputs.some((i) => i.name === k)) { initializers.delete(k); types.delete(k); }
  return { ...g, nodes, initializers, types };
}

function unique(inits: ReadonlyMap<string, Tensor>, types: ReadonlyMap<string, unknown>, base: string): string {
  return freshName(base, inits, types);
}
