// Inserts calibrated activation quantizers: after each given tensor t, a QONNX `Quant(t, scale, 0, 8)`
// (rounding ROUND, narrow 0; unsigned for a tensor that is never negative, signed otherwise), and every
// reader of t reads the quantized tensor instead (a graph output keeps the float t). The lowering then
// takes these as it takes a model's own quantizers: exactly (docs/calibration.md). The new node sits right
// after t's producer, so the node list stays in topological order.
import { bug } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, Node, Tensor, TensorType } from '../ir/types.js';
import { freshName } from '../ir/names.js';

export const CALIBRATED_BITS = 8;

export interface TensorQuant {
  readonly tensor: string;
  /** Per-tensor step, a positive float32. */
  readonly scale: number;
  readonly signed: boolean;
}

export function insertQuant(g: Graph, quants: readonly TensorQuant[]): Graph {
  if (quants.length === 0) return g;
  const taken = new Set<string>([...g.types.keys(), ...g.initializers.keys(), ...g.nodes.map((n) => n.name)]);
  const fresh = (base: string) => {
    const name = freshName(base, taken);
    taken.add(name);
    return name;
  };
  const initializers = new Map(g.initializers);
  const types = new Map(g.types);
  const addInit = (base: string, t: Tensor) => {
    const name = fresh(base);
    initializers.set(name, t);
    types.set(name, { dtype: t.dtype, shape: t.shape });
    return name;
  };
  const renamed = new Map<string, string>();
  const after = new Map<string, Node>();
  const zero = addInit('calibrated_zero_point', tensor('float32', [], [0]));
  const bits = addInit('calibrated_bits', tensor('float32', [], [CALIBRATED_BITS]));
  for (const q of quants) {
    const type: TensorType | undefined = g.types.get(q.tensor);
    bug(type && type.dtype === 'float32', `calibrated quantizer on '${q.tensor}', not a float32 tensor`);
    bug(q.scale > 0 && Math.fround(q.scale) === q.scale, `calibrated scale ${q.scale} of '${q.tensor}' is no positive float32`);
    const out = fresh(`${q.tensor}__int8`);
    types.set(out, type);
    renamed.set(q.tensor, out);
    const scale = addInit(`${q.tensor}__scale`, tensor('float32', [], [q.scale]));
    after.set(q.tensor, {
      name: fresh(`${q.tensor}/calibrated_quant`), op: 'Quant', domain: 'qonnx', inputs: [q.tensor, scale, zero, bits], outputs: [out],
      attrs: { signed: q.signed ? 1 : 0, narrow: 0, rounding_mode: 'ROUND' },
    });
  }
  const nodes: Node[] = [];
  const place = (t: string) => { const n = after.get(t); if (n) { nodes.push(n); after.delete(t); } };
  for (const i of g.inputs) place(i.name);
  for (const n of g.nodes) {
    nodes.push(n.inputs.some((s) => renamed.has(s)) ? { ...n, inputs: n.inputs.map((s) => renamed.get(s) ?? s) } : n);
    for (const o of n.outputs) place(o);
  }
  bug(after.size === 0, `calibrated quantizer on '${[...after.keys()][0]}', which no node computes`);
  return { ...g, nodes, initializers, types };
}
