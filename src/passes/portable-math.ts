// portable-math: in a lowered graph, ONNX Softmax / LogSoftmax / Sigmoid (float32) become bnnc.Softmax32 /
// bnnc.LogSoftmax32 / bnnc.Sigmoid32, which use the portable exp32 / log32 (src/numeric/float32-math.ts)
// so the C back ends match the interpreter bit for bit. Not bit-preserving: exp32 and log32 differ from
// Math.exp and Math.log by about an ULP (docs/numerics.md, "Softmax and LogSoftmax after the last layer").
// Opset semantics: from opset 13 the op runs along `axis` (default −1), which maps as it is. Before 13 it
// coerces the input to 2-D at `axis` (default 1) and runs over all dimensions from `axis` on; that equals a
// run along `axis` alone when every later dimension is 1 (e.g. [N, C] with axis 1 or −1), and is refused
// otherwise (BNNC_E031).
import { fail } from '../errors.js';
import { normAxis, shapeText, sizeOf } from '../ir/tensor.js';
import type { Graph, Node } from '../ir/types.js';

const PORTABLE: Readonly<Record<string, string>> = { Softmax: 'Softmax32', LogSoftmax: 'LogSoftmax32' };

export function portableMath(g: Graph): Graph {
  let changed = false;
  const nodes = g.nodes.map((n): Node => {
    if (n.domain === '' && n.op === 'Sigmoid') {
      const t = g.types.get(n.inputs[0]);
      if (t?.dtype !== 'float32') fail('BNNC_E031', `Sigmoid on ${t?.dtype}: only float32 has a portable exp`, { node: n.name, op: n.op, tensor: n.inputs[0] });
      changed = true;
      return { ...n, domain: 'bnnc', op: 'Sigmoid32', attrs: {} };
    }
    const op = n.domain === '' ? PORTABLE[n.op] : undefined;
    if (!op) return n;
    const where = { node: n.name, op: n.op, tensor: n.inputs[0] };
    const t = g.types.get(n.inputs[0]);
    if (!t) fail('BNNC_E008', 'no static type for this value', where);
    if (t.dtype !== 'float32') fail('BNNC_E031', `${n.op} on ${t.dtype}: only float32 has a portable exp and log`, where);
    const legacy = g.opset < 13;
    const given = (n.attrs.axis as number | undefined) ?? (legacy ? 1 : -1);
    const axis = normAxis(given, t.shape.length);
    if (axis === undefined) fail('BNNC_E006', `axis ${given} is out of range for rank ${t.shape.length}`, where);
    if (legacy && sizeOf(t.shape.slice(axis + 1)) !== 1) {
      fail('BNNC_E031', `opset ${g.opset} ${n.op} with axis ${given} on ${shapeText(t.shape)} runs over several dimensions; only a single axis (all later dimensions 1) is supported`, where);
    }
    changed = true;
    return { ...n, domain: 'bnnc', op, attrs: { axis } };
  });
  return changed ? { ...g, nodes } : g;
}
