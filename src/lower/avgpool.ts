// Average pools (AveragePool, GlobalAveragePool) over the integer kinds, each as a sum-pool whose 1/k is
// folded into what reads it, so the pool itself stays integer:
//   - over the pre-sign sums (acc → affine chain → AvgPool → … → sign): avg_i g(s·a_i) = g(s·Σa_i / k) for
//     an affine g, so the pooled value is the accumulator S = Σ a_i (bnnc.SumPool) with the chain's divisor
//     times k; the next sign thresholds S (reachable range k·[lo, hi]);
//   - over packed ±1 activations: q = Σ ±1 = taps − 2·popcount (bnnc.BitSumPool), an IntTensor of scale
//     1/k in [−k, k];
//   - over an IntTensor (value (q − zp)·s): Q = Σ q (bnnc.SumPool, int16), an IntTensor of scale s/k and
//     zero point k·zp.
// Every window must divide by the same k: a window crossing the padding is taken only where the padding
// adds 0 to the sum (count_include_pad with bits, or with an IntTensor of zero point 0), else BNNC_E141.
// The float model rounds its mean (fl(Σ)/k); the lowered value is the exact mean, so a sign right at a
// threshold may differ (bnnc check reports it).
import { fail } from '../errors.js';
import type { Node } from '../ir/types.js';
import { binaryActivationForm } from '../analyze/binary.js';
import { resolveWindow, windowTaps } from '../ops/sliding-window.js';
import { quantize } from './accumulator.js';
import { isShapeOnly } from './chain.js';
import type { Lowering } from './context.js';
import { type Accumulator, type IntTensor, type PackedBits, roleOf } from './values.js';

const AVG = new Set(['AveragePool', 'GlobalAveragePool']);
const AFFINE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Neg', 'BatchNormalization']);

export function isAvgPool(n: Node): boolean {
  return n.domain === '' && AVG.has(n.op);
}

interface Pool {
  /** The sum-pool's window attributes. */
  readonly attrs: { kernel_shape: number[]; strides: number[]; pads: number[]; dilations: number[] };
  /** Values a window averages (the divisor). */
  readonly k: number;
  /** Some window reaches into the padding (taps there add 0 to the sum). */
  readonly padded: boolean;
  readonly H: number;
  readonly W: number;
}

/** The pool's window over an [H, W] map, refusing windows that divide by different counts. */
function poolOf(lw: Lowering, n: Node, H: number, W: number, padAddsZero: boolean): Pool {
  const global = n.op === 'GlobalAveragePool';
  const ks = global ? [H, W] : (n.attrs.kernel_shape as number[]);
  if (ks.length !== 2) fail('BNNC_E031', 'bnnc lowers 2-D average pooling', lw.where(n));
  const attrs: Node['attrs'] = global ? { auto_pad: 'NOTSET', kernel_shape: ks } : { auto_pad: 'NOTSET', ...n.attrs };
  const win = resolveWindow({ node: n, attrs, opset: lw.g.opset }, [H, W], ks, !global && n.attrs.ceil_mode === 1, true);
  const taps = windowTaps(win);
  const k = ks[0] * ks[1];
  const includePad = !global && n.attrs.count_include_pad === 1;
  let padded = false;
  for (let p = 0; p + 1 < taps.start.length; p++) {
    const inside = taps.start[p + 1] - taps.start[p];
    if (inside === k) continue;
    padded = true;
    if (!(includePad && taps.padded[p] === k && padAddsZero)) {
      fail('BNNC_E141', `output position ${p} averages ${includePad ? taps.padded[p] : inside} values where others average ${k}${padAddsZero ? '' : ' (and padding here does not add 0 to the integer sum)'}; export the pool without padding or with count_include_pad = 1 over zero-centred values`, lw.where(n));
    }
  }
  return {
    attrs: { kernel_shape: [...ks], strides: [...win.strides], pads: [win.padBegin[0], win.padBegin[1], win.padEnd[0], win.padEnd[1]], dilations: [...win.dilations] },
    k, padded, H: win.outSize[0], W: win.outSize[1],
  };
}

/**
 * True when `name` flows through chain ops, reshapes and pools (one consumer each) into a sign (or, with
 * `quantizer`, into a multi-level QONNX Quant).
 */
export function reachesSign(lw: Lowering, name: string, quantizer = false): boolean {
  for (let hops = 0; hops < 64; hops++) {
    const users = lw.consumers.get(name) ?? [];
    if (users.length !== 1 || lw.g.outputs.includes(name)) return false;
    const u = users[0];
    if (binaryActivationForm(lw.g, u) || (quantizer && u.domain === 'qonnx' && u.op === 'Quant')) return true;
    const role = roleOf(u, u.inputs.indexOf(name));
    if (role !== 'chain' && role !== 'reshape' && role !== 'pool') return false;
    name = u.outputs[0];
  }
  return false;
}

/**
 * An average pool of an accumulator: of the k-bit levels when its chain ends in the model's activation
 * quantizer (an IntTensor, below); of the pre-sign sums when a sign follows (bnnc.SumPool, the 1/k joining
 * the chain's divisor). False when neither: the caller ends the binary part there (an epilogue).
 */
export function avgPoolAcc(lw: Lowering, n: Node, val: Accumulator): boolean {
  const q = quantize(lw, n.inputs[0], val);
  if (q) { avgPoolInt(lw, n, q); return true; }
  if (!reachesSign(lw, n.outputs[0])) return false;
  const bad = val.chain.steps.find(({ node }) => !isShapeOnly(node) && !(node.domain === '' && AFFINE.has(node.op)));
  if (bad) fail('BNNC_E144', `${bad.node.op} '${bad.node.name}' before this average pool is not affine; bnnc averages sums only through Add, Sub, Mul, Div, Neg and BatchNormalization`, lw.where(n));
  const p = poolOf(lw, n, val.H, val.W, false);
  const out = n.outputs[0];
  const name = lw.fresh(`${out}__acc`);
  lw.emit({ name: n.name, op: 'SumPool', domain: 'bnnc', inputs: [val.name], outputs: [name], attrs: { ...p.attrs, bits: 32 } });
  const lo = Int32Array.from(val.lo, (v) => v * p.k), hi = Int32Array.from(val.hi, (v) => v * p.k);
  for (let c = 0; c < val.C; c++) {
    if (Math.max(Math.abs(lo[c]), Math.abs(hi[c])) > 2 ** 31 - 1) fail('BNNC_E140', `a window of ${p.k} sums may reach ${Math.max(Math.abs(lo[c]), Math.abs(hi[c]))}, beyond int32`, lw.where(n));
  }
  lw.set(out, { ...val, name, H: p.H, W: p.W, lo, hi, chain: { ...val.chain, divisor: (val.chain.divisor ?? 1) * p.k } });
  return true;
}

/** An average pool of packed ±1 activations: bnnc.BitSumPool → an IntTensor Σ±1 of scale 1/k. */
export function avgPoolBits(lw: Lowering, n: Node, val: PackedBits): void {
  if (val.flat || val.pad) fail('BNNC_E031', 'average pooling after a flatten or a Pad is not supported', lw.where(n));
  const p = poolOf(lw, n, val.H, val.W, true);
  const bits = p.k <= 127 ? 8 : 16;
  const out = n.outputs[0];
  const name = lw.fresh(`${out}__int`);
  lw.emit({ name: n.name, op: 'BitSumPool', domain: 'bnnc', inputs: [val.name], outputs: [name], attrs: { ...p.attrs, channels: val.C, bits } });
  lw.set(out, {
    kind: 'int', name, C: val.C, H: p.H, W: p.W, flat: false, dtype: bits === 8 ? 'int8' : 'int16',
    bits: Math.ceil(Math.log2(2 * p.k + 1)), qmin: -p.k, qmax: p.k, scale: 1 / p.k, zeroPoint: 0,
  });
}

/** An average pool of an IntTensor: bnnc.SumPool (int16) → an IntTensor of scale s/k, zero point k·zp. */
export function avgPoolInt(lw: Lowering, n: Node, val: IntTensor): void {
  if (val.flat) fail('BNNC_E031', 'average pooling after a flatten is not supported', lw.where(n));
  const p = poolOf(lw, n, val.H, val.W, val.zeroPoint === 0);
  const [qmin, qmax] = [val.qmin * p.k, val.qmax * p.k];
  if (Math.max(-qmin, qmax, Math.abs(val.zeroPoint * p.k)) > 32767) fail('BNNC_E140', `a window of ${p.k} values in [${val.qmin}, ${val.qmax}] may sum beyond int16`, lw.where(n));
  const out = n.outputs[0];
  const name = lw.fresh(`${out}__int`);
  lw.emit({ name: n.name, op: 'SumPool', domain: 'bnnc', inputs: [val.name], outputs: [name], attrs: { ...p.attrs, bits: 16 } });
  lw.set(out, {
    ...val, name, H: p.H, W: p.W, dtype: 'int16', bits: Math.ceil(Math.log2(qmax - qmin + 1)), qmin, qmax, scale: val.scale / p.k, zeroPoint: val.zeroPoint * p.k, levels: undefined,
  });
}

