// Conv, MaxPool and AveragePool over [N, C, L] become the same ops over [N, C, 1, L] (height 1), between
// an Unsqueeze and a Squeeze of axis 2, so the 2-D lowering takes 1-D models (sensor time series).
// Exact: a [1, k] kernel visits its taps in the same order as the k-tap 1-D kernel, with the same pads.
import { tensor } from '../ir/tensor.js';
import type { Attrs, Graph, Node, Tensor, TensorType } from '../ir/types.js';
import { freshName } from '../ir/names.js';

const WINDOWED = new Set(['Conv', 'MaxPool', 'AveragePool']);

/**
 * Attributes per spatial axis gain a leading height entry: kernel_shape [k] → [1, k], strides and
 * dilations [v] → [1, v], pads [b, e] → [0, b, 0, e]. auto_pad stays: on an axis of size 1 with a kernel of
 * 1 and stride 1, SAME pads nothing, as the 1-D op did not. A tensor squeezed back from height 1 and read
 * again by another 1-D op is read in its 4-D form (no Squeeze → Unsqueeze pair between two such ops); a
 * Squeeze that nothing reads any more is left out.
 */
export function conv1dAs2d(g: Graph): Graph {
  const targets = g.nodes.filter((n) => n.domain === '' && WINDOWED.has(n.op) && g.types.get(n.inputs[0])?.shape.length === 3
    && (n.op !== 'Conv' || g.initializers.get(n.inputs[1])?.shape.length === 3));
  if (targets.length === 0) return g;
  const initializers = new Map(g.initializers);
  const types = new Map(g.types);
  const fresh = (base: string): string => freshName(base, types, initializers);
  const konst = (base: string, t: Tensor): string => {
    const name = fresh(base);
    initializers.set(name, t);
    types.set(name, { dtype: t.dtype, shape: t.shape });
    return name;
  };
  const axesAsInput = g.opset >= 13;
  let axes2 = '';
  const axesOperand = (): string[] => {
    if (!axesAsInput) return [];
    axes2 ||= konst('axes_2', tensor('int64', [1], [2]));
    return [axes2];
  };
  const axesAttr: Attrs = axesAsInput ? {} : { axes: [2] };
  const at4 = (t: TensorType): TensorType => ({ dtype: t.dtype, shape: [t.shape[0], t.shape[1], 1, t.shape[2]] });

  const wide = new Map<string, string>(); // 3-D name → its [N, C, 1, L] form
  const squeezes = new Set<Node>();
  const out: Node[] = [];
  const targetSet = new Set(targets);
  for (const n of g.nodes) {
    if (!targetSet.has(n)) { out.push(n); continue; }
    const x = n.inputs[0];
    let x4 = wide.get(x);
    if (!x4) {
      x4 = fresh(`${x}__h1`);
      types.set(x4, at4(g.types.get(x)!));
      out.push({ name: `${n.name}/unsqueeze`, op: 'Unsqueeze', domain: '', inputs: [x, ...axesOperand()], outputs: [x4], attrs: axesAttr });
      wide.set(x, x4);
    }
    const inputs = [x4, ...n.inputs.slice(1)];
    if (n.op === 'Conv') {
      const w = initializers.get(n.inputs[1])!;
      inputs[1] = konst(`${n.inputs[1]}__h1`, { ...w, shape: [w.shape[0], w.shape[1], 1, w.shape[2]] });
    }
    const y = n.outputs[0], y4 = fresh(`${y}__h1`);
    types.set(y4, at4(g.types.get(y)!));
    out.push({ ...n, inputs, outputs: [y4], attrs: widen(n.attrs) });
    const sq: Node = { name: `${n.name}/squeeze`, op: 'Squeeze', domain: '', inputs: [y4, ...axesOperand()], outputs: [y], attrs: axesAttr };
    out.push(sq);
    squeezes.add(sq);
    wide.set(y, y4);
  }
  const read = new Set([...out.flatMap((n) => n.inputs), ...g.outputs]);
  const nodes = out.filter((n) => !squeezes.has(n) || read.has(n.outputs[0]));
  for (const n of squeezes) if (!read.has(n.outputs[0])) types.delete(n.outputs[0]);
  for (const n of targets) {
    const w = n.op === 'Conv' ? n.inputs[1] : '';
    if (w && !read.has(w) && !g.outputs.includes(w)) { initializers.delete(w); types.delete(w); }
  }
  return { ...g, nodes, initializers, types };
}

function widen(a: Attrs): Attrs {
  const out: Record<string, Attrs[string]> = { ...a };
  const one = (k: string) => { const v = a[k] as readonly number[] | undefined; if (v) out[k] = [1, ...v]; };
  one('kernel_shape');
  one('strides');
  one('dilations');
  const p = a.pads as readonly number[] | undefined;
  if (p) out.pads = [0, p[0], 0, p[1]];
  return out;
}
