// Float ops on a k-bit IntTensor (a shortcut stream): a Quant on the tensor's own grid changes nothing; any
// other elementwise op starts a per-channel chain on its integers, which from there on is an accumulator
// (values.ts) backed by the IntTensor's int8/int16 data: v = g_c(scale·q) with the float model's own
// dequantization fl(q·scale) as the chain's first step (zero point 0). So a sign of the stream, with
// RSign's per-channel shift sign(x − b_c) or a PReLU before it, becomes per-channel thresholds on q
// (bnnc.Threshold on the NHWC integers); RPReLU (shift, PRelu, shift) ending in the model's next Quant
// becomes level thresholds on q (bnnc.MultiThreshold, accumulator.ts quantize), and a residual Add of the
// chained stream folds its affine steps.
import { fail } from '../errors.js';
import type { Node } from '../ir/types.js';
import { binaryActivationForm } from '../analyze/binary.js';
import { ACCUMULATOR } from './accumulator.js';
import { reachesSign } from './avgpool.js';
import { INT_TENSOR } from './int.js';
import type { Lowering } from './context.js';
import { onGrid, passesThrough, quantGrid } from './join.js';
import type { Accumulator, IntTensor } from './values.js';

/** The integer type behind each accumulator that a chain on an IntTensor made (lowered name → dtype). */
const BACKING = new WeakMap<Lowering, Map<string, IntTensor['dtype']>>();

export function backingType(lw: Lowering, name: string): IntTensor['dtype'] | 'int32' {
  return BACKING.get(lw)?.get(name) ?? 'int32';
}

/** The IntTensor as an accumulator with an empty chain: v = scale·q, q in [qmin, qmax]. */
export function asAccumulator(lw: Lowering, n: Node, v: IntTensor): Accumulator {
  if (v.zeroPoint !== 0) fail('BNNC_E031', `${n.op} on an integer tensor with zero point ${v.zeroPoint}; bnnc chains float ops on zero-centred integer streams only`, lw.where(n));
  // the chain's first step is fl(scale·q): it must be the value the model's quantizer gives each level
  const bad = v.levels?.findIndex((x, i) => x !== Math.fround(v.scale * (v.qmin + i))) ?? -1;
  if (bad >= 0) fail('BNNC_E031', `level ${v.qmin + bad} of this integer tensor is ${v.levels![bad]} in the model, not fl(${v.qmin + bad}·${v.scale}); bnnc chains float ops on levels q·scale only`, lw.where(n));
  if (!BACKING.has(lw)) BACKING.set(lw, new Map());
  BACKING.get(lw)!.set(v.name, v.dtype);
  return {
    kind: 'acc', name: v.name, C: v.C, H: v.H, W: v.W, lo: new Int32Array(v.C).fill(v.qmin), hi: new Int32Array(v.C).fill(v.qmax),
    chain: { scale: new Float64Array(v.C).fill(v.scale), steps: [], channels: v.C },
  };
}

/**
 * A chain step must keep the chain monotone in its integers (chain.ts derives thresholds by bisection):
 * PRelu does for slopes ≥ 0 (RPReLU's learned slopes are), not for a negative slope.
 */
export function monotoneStep(lw: Lowering, n: Node): void {
  if (n.domain !== '' || n.op !== 'PRelu') return;
  const slope = lw.konst(n.inputs[1]);
  if (!slope) fail('BNNC_E031', 'the PRelu slope is computed; bnnc needs constant slopes', lw.where(n, n.inputs[1]));
  const bad = Array.from(slope.data as ArrayLike<number>).find((s) => !(s >= 0));
  if (bad !== undefined) fail('BNNC_E031', `PRelu slope ${bad} makes the activation non-monotone; bnnc thresholds monotone chains (slopes ≥ 0)`, lw.where(n, n.inputs[1]));
}

/** The chain rule of an IntTensor. */
export function intChain(lw: Lowering, n: Node, slot: number, v: IntTensor): void {
  const g = quantGrid(lw, n);
  if ((g && slot === 0 && onGrid(v, g)) || passesThrough(lw, n)) return lw.set(n.outputs[0], v);
  // ops that end in no sign and no quantizer read the tensor as floats (its level table, int.ts)
  const ends = binaryActivationForm(lw.g, n) || (n.domain === 'qonnx' && n.op === 'Quant') || reachesSign(lw, n.outputs[0], true);
  if (!ends) return INT_TENSOR.other!(lw, n, slot, v);
  ACCUMULATOR.chain!(lw, n, slot, asAccumulator(lw, n, v));
}
