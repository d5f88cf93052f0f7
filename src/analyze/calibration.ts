// Where a float graph needs a calibrated activation quantizer (docs/calibration.md): the float tensors a
// binary layer reads straight from another layer's float chain (a BinaryConnect network's BatchNorm + ReLU),
// with no quantizer (a sign, a QONNX quantizer, a Round) in between; the result of a residual join, which
// the lowering holds as a k-bit stream (lower/join.ts: an Add followed by one k-bit Quant, or by a plain
// x/s → Round → Clip → ·s), unless the model quantizes it itself; and a join's
// input whose chain is not affine (a ReLU before the Add). One forward walk over the nodes in their
// topological order gives each tensor a state; a quantizer then goes at the end of the per-channel chain
// (after the ReLU), before max-pooling and reshapes, which commute with it.
import type { Graph, Node } from '../ir/types.js';
import { binaryActivationForm } from './binary.js';

const LAYER_OPS = new Set(['Conv', 'Gemm', 'MatMul']);
/** Reshapes (lower/chain.ts SHAPE_ONLY) and the QONNX quantizers (lower/values.ts CHAIN_QONNX). */
const SHAPE_ONLY = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);
const CHAIN_QONNX = new Set(['BipolarQuant', 'Quant', 'MultiThreshold']);
const isShapeOnly = (n: Node) => n.domain === '' && SHAPE_ONLY.has(n.op);
/** Elementwise per-channel float ops that continue a layer's chain (lower/values.ts CHAIN_OPS, less the sign-likes). */
const CHAIN_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'BatchNormalization', 'Relu', 'Clip', 'Neg', 'LeakyRelu', 'PRelu']);
/** Ops that quantize what they read: their output (and what follows it elementwise) is no calibration point. */
const QUANTIZERS = new Set(['Sign', 'Round', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Where']);
const JOINS = new Set(['Add', 'Sub', 'Concat', 'Sum']);
/** Chain ops affine in the accumulator: a join takes such a chain as it is (lower/join.ts). */
const AFFINE_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Neg', 'BatchNormalization']);

/** A tensor that needs a quantizer: the node producing it, and the node that reads it unquantized. */
export interface CalibrationPoint {
  readonly tensor: string;
  readonly producer: string;
  readonly reader: string;
  readonly readerOp: string;
}

type State =
  | { readonly s: 'raw' | 'quant' | 'tail' }
  /**
   * Computed from a layer's accumulator by float ops only; `at` is where a quantizer would go; `affine`
   * while every op since the layer is affine per channel (or a pool or reshape).
   */
  | { readonly s: 'float'; readonly at: string; readonly producer: string; readonly affine: boolean };

/** The tensors to quantize, in graph order (each once). */
export function calibrationPoints(g: Graph): CalibrationPoint[] {
  const state = new Map<string, State>();
  for (const i of g.inputs) state.set(i.name, { s: 'raw' });
  const found = new Map<string, CalibrationPoint>();
  const need = (st: State | undefined, n: Node) => {
    if (st?.s === 'float' && !found.has(st.at)) found.set(st.at, { tensor: st.at, producer: st.producer, reader: n.name, readerOp: n.op });
  };
  const readers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const s of n.inputs) readers.set(s, [...(readers.get(s) ?? []), n]);
  for (const n of g.nodes) {
    const dyn = n.inputs.filter((s) => s !== '' && !g.initializers.has(s));
    const ins = dyn.map((s) => state.get(s)).filter((st): st is State => st !== undefined);
    if (ins.length === 0) continue; // constants only
    const set = (st: State) => { for (const o of n.outputs) if (o !== '') state.set(o, st); };
    const def = n.domain === '';
    if (dyn.length > 1) {
      // a join of computed tensors: an input through a non-affine chain needs a quantizer, and so does the
      // result unless the model's own k-bit quantizer is its only reader
      if (def && JOINS.has(n.op) && ins.length === dyn.length && ins.every((st) => st.s === 'float' || st.s === 'quant')) {
        for (const st of ins) if (st.s === 'float' && !st.affine) need(st, n);
        const out = n.outputs[0];
        const users = readers.get(out) ?? [];
        const own = users.length === 1 && !g.outputs.includes(out) && ((users[0].domain === 'qonnx' && CHAIN_QONNX.has(users[0].op) && !binaryActivationForm(g, users[0])) || plainQuantizer(g, readers, users[0]));
        if (users.length > 0 && !own) need({ s: 'float', at: out, producer: n.name, affine: false }, users[0]);
        set(users.length > 0 ? { s: 'quant' } : { s: 'tail' });
      } else set({ s: 'tail' });
      continue;
    }
    const st = ins[0];
    const slot = n.inputs.indexOf(dyn[0]);
    if (def && LAYER_OPS.has(n.op) && slot === 0) {
      need(st, n);
      set(st.s === 'tail' ? st : { s: 'float', at: n.outputs[0], producer: n.name, affine: true });
    } else if (binaryActivationForm(g, n) || (def && QUANTIZERS.has(n.op)) || (n.domain === 'qonnx' && CHAIN_QONNX.has(n.op))) {
      set(st.s === 'tail' ? st : { s: 'quant' });
    } else if (isShapeOnly(n) || (def && n.op === 'MaxPool') || (def && n.op === 'Pad' && zeroPad(g, n))) {
      set(st); // commutes with a zero-point-0 quantizer: it stays where the chain ends
    } else if (def && (n.op === 'AveragePool' || n.op === 'GlobalAveragePool') && st.s !== 'raw' && st.s !== 'tail') {
      // window sums of integers (lower/avgpool.ts): affine in them, as a layer's sums are; a float input
      // through a non-affine chain is quantized before the pool
      if (st.s === 'float' && !st.affine) need(st, n);
      set({ s: 'float', at: n.outputs[0], producer: n.name, affine: true });
    } else if (def && CHAIN_OPS.has(n.op)) {
      set(st.s === 'float' ? { s: 'float', at: n.outputs[0], producer: n.name, affine: st.affine && AFFINE_OPS.has(n.op) } : st);
    } else set({ s: 'tail' });
  }
  return [...found.values()];
}

/**
 * x/s (or x·(1/s)) by a constant, then Round, its only reader: the start of the plain fake quantizer
 * (x/s → Round → Clip → ·s) that lower/join.ts takes after a join as the model's own; the lowering checks
 * the rest (BNNC_E142 when it is not one).
 */
function plainQuantizer(g: Graph, readers: ReadonlyMap<string, readonly Node[]>, n: Node): boolean {
  if (n.domain !== '' || (n.op !== 'Div' && n.op !== 'Mul') || !g.initializers.has(n.inputs[1] ?? '')) return false;
  const users = readers.get(n.outputs[0]) ?? [];
  return users.length === 1 && !g.outputs.includes(n.outputs[0]) && users[0].domain === '' && users[0].op === 'Round';
}

/** A constant Pad with value 0 (quantizes to 0: it commutes with the quantizer). */
function zeroPad(g: Graph, n: Node): boolean {
  if (((n.attrs.mode as string | undefined) ?? 'constant') !== 'constant') return false;
  const v = n.inputs[2] ? g.initializers.get(n.inputs[2]) : undefined;
  return n.inputs[2] ? v !== undefined && v.data.length > 0 && v.data[0] === 0 : true;
}
