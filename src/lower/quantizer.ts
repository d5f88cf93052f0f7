// Multi-level activations: a per-channel chain (chain.ts) that ends in the model's own activation quantizer
// becomes k-bit integers q (values.ts IntTensor) through per-channel level thresholds (bnnc.MultiThreshold).
//
// The forms, each giving the integer grid [qmin, qmax] and the float32 value level(q) the model computes:
//   QONNX Quant (bit width 2–8):  level(q) = fl(fl(q − z)·s), q in its clamp range (signed, narrow), any
//                                  rounding mode: the mode only moves the level boundaries, found below;
//   FINN MultiThreshold (T ≥ 1):  level(q) = fl(out_scale·q + out_bias), q = 0 … T;
//   plain ONNX, x/s (or x·(1/s)) → Round (half to even) → Clip / Relu:
//                                  the ops after the last Round keep integers (Clip with integer bounds,
//                                  Relu, Round); the integers they reach over the reachable sums are q.
// Any of them may be followed by scalar Mul / Div / Add / Sub (the plain form's ·s, a FINN scale): level(q)
// is then those ops on the quantizer's value, float32 as the model.
// Scale and zero point: level(q) = (q − zp)·scale, read off the exact (float64) map at q = 0 and 1.
//
// Derivation. As for one threshold (chain.ts), the chain is monotone in the accumulator a per channel and
// its output takes only the values level(qmin … qmax), which are strictly monotone in q; so q_c(a) — the
// level whose value the chain gives — is a monotone step function of a over the reachable [lo, hi]. With
// L = qmax − qmin boundaries, increasing channels (q(lo) ≤ q(hi)) have
//   q(a) = qmin + #{l in 1 … L : a ≥ T_l},  T_l = the least a in [lo, hi] with q(a) ≥ qmin + l
// (lo when q(lo) is already that high, hi + 1 when no reachable a is), and decreasing channels
//   q(a) = qmin + #{l : a ≤ T_l},  T_l = the greatest a with q(a) ≥ qmin + l (hi, or lo − 1 for none).
// Every T_l is found by bisection on the exact float32 replay of the chain, all channels and levels at
// once, so for every reachable accumulator the lowered q is the level the float ops give for fl(s_c·a).
import { fail } from '../errors.js';
import { sizeOf } from '../ir/tensor.js';
import type { Graph, Node, Tensor } from '../ir/types.js';
import { roundingMode } from '../ops/qonnx/rounding.js';
import { binaryActivationForm } from '../analyze/binary.js';
import { type Chain, isShapeOnly, replay, type Step } from './chain.js';

/** The model's activation quantizer at the end of a chain: its integer grid and the float of each level. */
export interface Quantizer {
  /** The node whose output holds the quantized values (errors name it). */
  readonly node: Node;
  readonly form: 'Quant' | 'MultiThreshold' | 'Round';
  readonly qmin: number;
  readonly qmax: number;
  readonly scale: number;
  readonly zeroPoint: number;
  /** level(q) for q = qmin … qmax, as the model computes it (float32). */
  readonly levels: Float32Array;
}

/** Where the quantizer's own constants are read: a computed one is BNNC_E110. */
function konst(g: Graph, n: Node, i: number, what: string): Tensor {
  const t = g.initializers.get(n.inputs[i]);
  if (!t) fail('BNNC_E110', `the ${what} of this activation quantizer is computed, not a constant; bnnc needs it fixed at compile time`, { node: n.name, op: n.op, tensor: n.inputs[i] });
  return t;
}

/**
 * One value of a quantizer constant that must be per tensor: equal everywhere (BNNC_E112 when it varies
 * inside a channel, BNNC_E113 when only between channels); `shape` is the quantized tensor's.
 */
function perTensor(n: Node, i: number, t: Tensor, shape: readonly number[], what: string): number {
  const v = t.data[0];
  const varying = Array.from(t.data as ArrayLike<number>).some((x) => x !== v && !(Number.isNaN(x) && Number.isNaN(v)));
  if (!varying) return v;
  const r = shape.length, off = r - t.shape.length;
  const onlyChannel = t.shape.every((d, k) => d === 1 || off + k === 1);
  const where = { node: n.name, op: n.op, tensor: n.inputs[i] };
  if (!onlyChannel) fail('BNNC_E112', `the ${what} of shape [${t.shape.join(', ')}] varies along more than the channel axis of [${shape.join(', ')}]; bnnc takes one ${what} per tensor`, where);
  return fail('BNNC_E113', `the ${what} differs between channels; bnnc's k-bit activations take one ${what} per tensor (a per-channel ${what} would give each input channel of the next layer its own weight)`, where);
}

/**
 * The zero point as one integer (BNNC_E114 otherwise): exactly one for a constant, within a relative 1e-6
 * for one derived from float constants (−out_bias/out_scale, an offset over a scale).
 */
function integerZeroPoint(n: Node, zp: number, why: string, exact = false): number {
  const r = Math.round(zp);
  if (!Number.isFinite(zp) || (exact ? zp !== r : Math.abs(zp - r) > 1e-6 * Math.max(1, Math.abs(zp)))) {
    fail('BNNC_E114', `the zero point is ${zp}${why}; bnnc's k-bit activations need an integer zero point`, { node: n.name, op: n.op });
  }
  return r === 0 ? 0 : r;
}

function levelsOf(qmin: number, qmax: number, f: (q: number) => number): Float32Array {
  return Float32Array.from({ length: qmax - qmin + 1 }, (_, i) => f(qmin + i));
}

function bitsCheck(n: Node, qmin: number, qmax: number, what: string): void {
  if (qmax - qmin > 255) fail('BNNC_E111', `${what}: ${qmax - qmin + 1} levels (${qmin} … ${qmax}); bnnc's activations take at most 8 bits (256 levels)`, { node: n.name, op: n.op });
}

/** QONNX Quant with bit width ≥ 2, or undefined for other nodes. Checks its constants (BNNC_E110–E114). */
export function quantOf(g: Graph, n: Node): Quantizer | undefined {
  if (n.domain !== 'qonnx' || n.op !== 'Quant') return undefined;
  const shape = g.types.get(n.inputs[0])?.shape ?? [];
  const bits = konst(g, n, 3, 'bit width');
  const b = bits.data[0];
  if (b === 1) return undefined; // a binary activation (steps.ts)
  if (b > 8) fail('BNNC_E111', `bit width ${b} on an activation; bnnc's activations take at most 8 bits`, { node: n.name, op: n.op, tensor: n.inputs[3] });
  const s = perTensor(n, 1, konst(g, n, 1, 'scale'), shape, 'scale');
  const z = perTensor(n, 2, konst(g, n, 2, 'zero point'), shape, 'zero point');
  if (!(s > 0) || !Number.isFinite(s)) fail('BNNC_E031', `the activation scale is ${s}; expected a positive finite number`, { node: n.name, op: n.op, tensor: n.inputs[1] });
  const zp = integerZeroPoint(n, z, '', true);
  const signed = n.attrs.signed !== 0, narrow = n.attrs.narrow !== 0;
  if (!roundingMode(String(n.attrs.rounding_mode ?? 'ROUND'))) return undefined; // the op's own check reports it
  const qmin = signed ? -(2 ** (b - 1)) + (narrow ? 1 : 0) : 0;
  const qmax = signed ? 2 ** (b - 1) - 1 : 2 ** b - (narrow ? 2 : 1);
  const f = Math.fround;
  return { node: n, form: 'Quant', qmin, qmax, scale: s, zeroPoint: zp, levels: levelsOf(qmin, qmax, (q) => f(f(q - z) * s)) };
}

/** FINN MultiThreshold that is not a binary activation: levels 0 … T. */
function multiThresholdOf(g: Graph, n: Node): Quantizer | undefined {
  if (n.domain !== 'qonnx' || n.op !== 'MultiThreshold' || binaryActivationForm(g, n)) return undefined;
  const th = konst(g, n, 1, 'thresholds');
  const T = th.shape[th.shape.length - 1];
  bitsCheck(n, 0, T, `${T} thresholds`);
  const s = (n.attrs.out_scale as number | undefined) ?? 1, b = (n.attrs.out_bias as number | undefined) ?? 0;
  if (s === 0 || !Number.isFinite(s)) fail('BNNC_E031', `out_scale is ${s}; the levels must differ`, { node: n.name, op: n.op });
  const zp = integerZeroPoint(n, -b / s, ` (−out_bias / out_scale = ${-b} / ${s})`);
  return { node: n, form: 'MultiThreshold', qmin: 0, qmax: T, scale: s, zeroPoint: zp, levels: levelsOf(0, T, (q) => Math.fround(s * q + b)) };
}

/** Ops after a Round that keep values integers: Clip with integer bounds, Relu, Round. */
function keepsIntegers(g: Graph, n: Node): boolean {
  if (n.domain !== '') return false;
  if (n.op === 'Relu' || n.op === 'Round') return true;
  if (n.op !== 'Clip') return false;
  const bounds = g.opset < 11 ? [n.attrs.min, n.attrs.max] : [1, 2].map((i) => (n.inputs[i] ? g.initializers.get(n.inputs[i])?.data[0] : undefined));
  return bounds.every((v) => v === undefined || Number.isInteger(v));
}

const SCALAR_AFFINE = new Set(['Mul', 'Div', 'Add', 'Sub']);

/** A Mul / Div / Add / Sub of the chained value by a one-element constant. */
function scalarAffine(g: Graph, s: Step): boolean {
  return s.node.domain === '' && SCALAR_AFFINE.has(s.node.op)
    && s.node.inputs.every((x, i) => i === s.slot || sizeOf(g.initializers.get(x)?.shape ?? [2]) === 1);
}

/**
 * The quantizer `base` followed by scalar affine ops `tail` (a FINN MultiThreshold's Mul by its scale, the
 * plain form's Mul by s): level(q) is the tail on base level(q), float32 as the model; the scale and zero
 * point come from the exact (float64) tail on the exact base values (q − zp)·scale at q = 0 and 1.
 */
function withTail(g: Graph, C: number, base: Quantizer, tail: readonly Step[]): Quantizer {
  if (tail.length === 0) return base;
  const on = (vals: readonly number[], exact: boolean): number[] => {
    const probe = Float64Array.from({ length: vals.length * C }, (_, i) => vals[Math.floor(i / C)]);
    const v = replay(g, { scale: new Float64Array(C).fill(1), steps: tail, channels: C }, probe, vals.length, exact);
    return vals.map((_, j) => v[j * C]);
  };
  const node = tail[tail.length - 1].node;
  const levels = Float32Array.from(on(Array.from(base.levels), false));
  const [e0, e1] = on([-base.zeroPoint * base.scale, (1 - base.zeroPoint) * base.scale], true);
  const scale = e1 - e0;
  if (!(scale !== 0) || !Number.isFinite(scale)) fail('BNNC_E031', 'the ops after the activation quantizer do not separate its levels', { node: node.name, op: node.op });
  const zeroPoint = integerZeroPoint(node, -e0 / scale, ` (offset ${e0} on scale ${scale} after '${base.node.name}')`);
  return { ...base, node, scale, zeroPoint, levels };
}

/** The plain-ONNX fake quantizer up to its integers: … → Round → (Clip | Relu | Round)*, as a quantizer of scale 1. */
function roundFormOf(g: Graph, chain: Chain, upTo: Step, lo: ArrayLike<number>, hi: ArrayLike<number>): Quantizer | undefined {
  const head = chain.steps.slice(0, chain.steps.indexOf(upTo) + 1);
  const steps = head.filter((s) => !isShapeOnly(s.node));
  const r = steps.map((s) => s.node.domain === '' && s.node.op === 'Round').lastIndexOf(true);
  if (r < 0 || !steps.slice(r + 1).every((s) => keepsIntegers(g, s.node))) return undefined;
  const last = upTo.node;
  // the integers the head reaches: monotone per channel, so its values at lo and hi bound them
  const C = chain.channels;
  const ends = replay(g, { ...chain, steps: head }, Float64Array.from([...Array.from(lo), ...Array.from(hi)]), 2, false);
  let qmin = Infinity, qmax = -Infinity;
  for (let i = 0; i < 2 * C; i++) {
    if (!Number.isFinite(ends[i])) fail('BNNC_E115', `the rounded activation reaches ${ends[i]}; bnnc needs a finite integer range`, { node: last.name, op: last.op });
    qmin = Math.min(qmin, ends[i]); qmax = Math.max(qmax, ends[i]);
  }
  if (qmax === qmin) qmax++; // one level reached: a second one, never reached, keeps one threshold
  bitsCheck(last, qmin, qmax, 'the rounded activation reaches');
  return { node: last, form: 'Round', qmin, qmax, scale: 1, zeroPoint: 0, levels: levelsOf(qmin, qmax, (q) => q) };
}

/**
 * The quantizer ending `chain`, if it ends in one: a Quant, a MultiThreshold or the plain form's integers,
 * then only scalar affine ops.
 */
export function chainQuantizer(g: Graph, chain: Chain, lo: ArrayLike<number>, hi: ArrayLike<number>): Quantizer | undefined {
  const steps = chain.steps.filter((s) => !isShapeOnly(s.node));
  let k = steps.length;
  while (k > 0 && scalarAffine(g, steps[k - 1])) k--;
  if (k === 0) return undefined;
  const last = steps[k - 1];
  const base = quantOf(g, last.node) ?? multiThresholdOf(g, last.node) ?? roundFormOf(g, chain, last, lo, hi);
  return base && withTail(g, chain.channels, base, steps.slice(k));
}

export interface LevelThresholds {
  /** [C, L] thresholds, L = qmax − qmin. */
  readonly t: Int32Array;
  /** Per channel: 1 increasing (count a ≥ T), −1 decreasing (count a ≤ T). */
  readonly dir: Int8Array;
}

/** The level thresholds of a chain ending in quantizer `qz`, over reachable accumulators [lo, hi] (header). */
export function deriveLevels(g: Graph, chain: Chain, qz: Quantizer, lo: ArrayLike<number>, hi: ArrayLike<number>): LevelThresholds {
  const C = chain.channels, L = qz.qmax - qz.qmin;
  const index = new Map<number, number>();
  qz.levels.forEach((v, i) => {
    if (index.has(v)) fail('BNNC_E115', `two levels of this quantizer have the same float value ${v}`, { node: qz.node.name, op: qz.node.op });
    index.set(v, qz.qmin + i);
  });
  /** q per probe value: acc[r·C + c], `rows` rows. */
  const qAt = (acc: Float64Array, rows: number): Int32Array => Int32Array.from(replay(g, chain, acc, rows, false), (v) => {
    const q = index.get(v);
    if (q === undefined) fail('BNNC_E115', `the chain gives ${v}, which is none of the quantizer's ${L + 1} levels (a NaN, or an op after the quantizer)`, { node: qz.node.name, op: qz.node.op });
    return q;
  });
  const qLo = qAt(Float64Array.from(lo), 1), qHi = qAt(Float64Array.from(hi), 1);
  const dir = Int8Array.from({ length: C }, (_, c) => (qHi[c] >= qLo[c] ? 1 : -1));
  const t = new Int32Array(C * L);
  // bisection state per (boundary l, channel c), row l − 1: q(a) on the low side of the target, q(b) on the high side
  const a = new Float64Array(C * L), b = new Float64Array(C * L);
  const open: number[] = [];
  for (let l = 1; l <= L; l++) {
    const target = qz.qmin + l;
    for (let c = 0; c < C; c++) {
      const i = (l - 1) * C + c, up = dir[c] === 1;
      const atLo = qLo[c] >= target, atHi = qHi[c] >= target;
      a[i] = lo[c]; b[i] = lo[c];
      if (up ? atLo : atHi) t[c * L + l - 1] = up ? lo[c] : hi[c];
      else if (up ? !atHi : !atLo) t[c * L + l - 1] = up ? hi[c] + 1 : lo[c] - 1;
      else { a[i] = lo[c]; b[i] = hi[c]; open.push(i); }
    }
  }
  for (let iter = 0; iter < 40 && open.some((i) => b[i] - a[i] > 1); iter++) {
    const mid = Float64Array.from(a, (x, i) => Math.floor((x + b[i]) / 2));
    const q = qAt(mid, L);
    for (const i of open) {
      if (b[i] - a[i] <= 1) continue;
      const c = i % C, high = q[i] >= qz.qmin + Math.floor(i / C) + 1;
      // increasing: high at b; decreasing: high at a
      if ((dir[c] === 1) === high) b[i] = mid[i]; else a[i] = mid[i];
    }
  }
  for (const i of open) {
    const c = i % C, l = Math.floor(i / C);
    t[c * L + l] = dir[c] === 1 ? b[i] : a[i];
  }
  return { t, dir };
}
