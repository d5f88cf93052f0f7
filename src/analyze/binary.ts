// Recognizes binary weights and binary activations in a float graph: the facts `inspect` shows and the
// binarization passes start from. Weights: all ±1, or ±α per output filter (exactly two magnitudes a
// filter, relative tolerance 1e-6). Activations: outputs that can only take two values ±1 (or 0/1).
import { sizeOf } from '../ir/tensor.js';
import type { Graph, Node, Tensor } from '../ir/types.js';

export const ALPHA_REL_TOL = 1e-6;

export type WeightKind =
  | { kind: 'bipolar' }
  | { kind: 'scaled-bipolar'; alpha: Float64Array }
  | { kind: 'other' };

/**
 * Classifies a weight tensor whose output channels lie along `axis` (0 for Conv and Gemm with transB, the
 * last axis for MatMul and Gemm without). A zero entry, or magnitudes that differ within a filter, make it
 * 'other'.
 */
export function classifyWeight(w: Tensor, axis: number): WeightKind {
  if (w.dtype !== 'float32' && w.dtype !== 'float64' && w.dtype !== 'int8' && w.dtype !== 'int32' && w.dtype !== 'int64') return { kind: 'other' };
  const n = sizeOf(w.shape);
  if (n === 0 || w.shape.length === 0) return { kind: 'other' };
  const channels = w.shape[axis];
  const inner = sizeOf(w.shape.slice(axis + 1));
  const alpha = new Float64Array(channels).fill(NaN);
  let allOne = true;
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / inner) % channels;
    const m = Math.abs(w.data[i]);
    if (!(m > 0) || !Number.isFinite(m)) return { kind: 'other' };
    if (Number.isNaN(alpha[c])) alpha[c] = m;
    else if (Math.abs(m - alpha[c]) > ALPHA_REL_TOL * alpha[c]) return { kind: 'other' };
    if (m !== 1) allOne = false;
  }
  return allOne ? { kind: 'bipolar' } : { kind: 'scaled-bipolar', alpha };
}

/** The axis of output channels for a weight operand of a Conv, Gemm or MatMul node. */
export function weightChannelAxis(node: Node, w: Tensor): number | undefined {
  if (node.op === 'Conv') return 0;
  if (node.op === 'Gemm') return node.attrs.transB ? 0 : 1;
  if (node.op === 'MatMul' && w.shape.length === 2) return 1;
  if (node.op === 'XnorPopcountMatMul' && w.shape.length === 2) return 1;
  return undefined;
}

function constScalar(g: Graph, name: string): number | undefined {
  const t = g.initializers.get(name);
  if (!t || sizeOf(t.shape) === 0) return undefined;
  const v = t.data[0];
  for (let i = 1; i < t.data.length; i++) if (t.data[i] !== v) return undefined;
  return v;
}

/**
 * How an activation-producing node binarizes, or undefined if its output is not binary.
 * 'bipolar': values in {−1, +1} (Sign also gives 0 at exactly 0: see docs/numerics.md).
 */
export function binaryActivationForm(g: Graph, n: Node): string | undefined {
  if (n.domain === '' && n.op === 'Sign') return 'Sign';
  if (n.domain === 'qonnx' && n.op === 'BipolarQuant') return 'BipolarQuant';
  if (n.domain === 'qonnx' && n.op === 'Quant' && constScalar(g, n.inputs[3]) === 1) return 'Quant(1 bit)';
  if (n.domain === 'qonnx' && n.op === 'MultiThreshold') {
    const th = g.initializers.get(n.inputs[1]);
    if (th && th.shape[th.shape.length - 1] === 1) {
      const s = n.attrs.out_scale as number, b = n.attrs.out_bias as number;
      if (s === 2 && b === -1) return 'MultiThreshold(bipolar)';
      if (s === 1 && b === 0) return 'MultiThreshold(0/1)';
      if (s !== 0) return 'MultiThreshold(two-level)';
    }
  }
  if (n.domain === '' && n.op === 'Where') {
    const a = constScalar(g, n.inputs[1]), b = constScalar(g, n.inputs[2]);
    if ((a === 1 && b === -1) || (a === -1 && b === 1)) return 'Where(±1)';
    if (a !== undefined && b !== undefined && a !== b) return 'Where(two-level)';
  }
  return undefined;
}
