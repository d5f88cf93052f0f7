// Per-channel chains: the float ops between a binary layer's integer accumulator and the next sign (or the
// output), replayed on probe values to derive integer thresholds (float32, exactly as the float model) or
// an affine epilogue (float64, then rounded once).
//
// Derivation. A binary layer computes, per output channel c, an integer accumulator a (the ±1 dot product,
// or Σ(q − zp)·b for integer inputs). The float model computes from it v = g_c(s_c·a), where s_c = α_c
// (times the input scale for a first layer) and g_c is the chain: bias adds, batch-norm
// (x − μ)/√(σ² + ε)·γ + β, scalar or per-channel Mul/Add/Sub/Div, shape-only ops, and finally a sign-like
// op. Every one of these is monotone in its chained operand when its other operands are fixed, and float32
// rounding is monotone too, so the composite decision d_c(a) = [g_c(fl(s_c·a)) ≥ 0] is a monotone step
// function of the integer a (sign(0) → +1, see docs/numerics.md). Over the reachable range [lo, hi]:
//   - d(lo) = d(hi): the channel is constant (a zero scale, or a threshold no reachable a crosses);
//   - d(lo) = −1, d(hi) = +1: increasing; out = +1 ⇔ a ≥ T with T the least a where d(a) = +1;
//   - d(lo) = +1, d(hi) = −1: decreasing (a negative scale); out = +1 ⇔ a ≤ T, T the greatest such a.
// T is found by bisection on the exact float32 replay, so the lowered network takes, for every reachable
// accumulator, the decision the float ops take on fl(s_c·a): no rounding of thresholds is involved.
// The float model's own convolution rounds its sum in some order; where that rounding moves a value across
// the threshold the two disagree, and `bnnc check` reports each such case.
import { fail } from '../errors.js';
import { sizeOf, tensor } from '../ir/tensor.js';
import type { Graph, Node, Tensor } from '../ir/types.js';
import { lookupOp } from '../ops/index.js';
import { bug } from '../errors.js';
import { isBipolar, type Levels, levelsOf } from './levels.js';

/** One chain step: a float-graph node, and which of its inputs carries the chained value. */
export interface Step {
  readonly node: Node;
  readonly slot: number;
}

export interface Chain {
  /** Per channel: v0 = s_c·a (+ bias_c), the value the float layer produces for accumulator a. */
  readonly scale: Float64Array;
  /** v0 = s_c·a / divisor (an input scale such as 1/255 is a division, rounded once). */
  readonly divisor?: number;
  readonly bias?: Float32Array;
  readonly steps: readonly Step[];
  /** Channel count (axis 1 of every chained float tensor). */
  readonly channels: number;
  /**
   * For a chain on the raw input: the float input's shape. The probe then fills whole tensors (one per
   * probe row), each of the `channels` consecutive blocks of its elements (NCHW order: the input's
   * channels, or single elements) with its channel's value, and the chain must treat the elements of a
   * block alike (checked), so one threshold serves each block.
   */
  readonly wholeTensor?: readonly number[];
}

const AFFINE_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Neg', 'BatchNormalization']);
const SHAPE_ONLY = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

export function isShapeOnly(n: Node): boolean {
  return n.domain === '' && SHAPE_ONLY.has(n.op);
}

/**
 * Replays the chain on probe accumulators: `acc[r·C + c]` for row r and channel c. Returns the final
 * values (float32 replay, or float64 with `exact` for affine folding).
 */
export function replay(g: Graph, chain: Chain, acc: Float64Array, rows: number, exact: boolean): Float64Array {
  const C = chain.channels;
  const dt = exact ? 'float64' : 'float32';
  const round = exact ? (v: number) => v : Math.fround;
  const start = Array.from(acc, (a, i) => {
    const c = i % C;
    let x = round(chain.divisor ? (chain.scale[c] * a) / chain.divisor : chain.scale[c] * a);
    if (chain.bias) x = round(x + chain.bias[c]);
    return x;
  });
  const whole = chain.wholeTensor;
  const per = whole ? sizeOf(whole.slice(1)) / C : 1;
  let v: Tensor = whole
    ? tensor(dt, [rows, ...whole.slice(1)], Array.from({ length: rows * C * per }, (_, i) => start[Math.floor(i / per)]))
    : tensor(dt, [rows, C], start);
  for (const { node, slot } of chain.steps) {
    const inShape = g.types.get(node.inputs[slot])!.shape;
    v = { ...v, shape: whole ? [rows, ...inShape.slice(1)] : [rows, C, ...new Array<number>(Math.max(0, inShape.length - 2)).fill(1)] };
    if (isShapeOnly(node)) continue;
    const def = lookupOp(node.domain, node.op);
    bug(def, `no op ${node.op}`);
    const args = node.inputs.map((s, i): Tensor | undefined => {
      if (i === slot) return v;
      if (s === '') return undefined;
      const t = g.initializers.get(s);
      bug(t, `chain operand '${s}' is not constant`);
      return exact && t.dtype === 'float32' ? { dtype: 'float64', shape: t.shape, data: Float64Array.from(t.data) } : t;
    });
    const out = def.eval({ node, attrs: node.attrs, opset: g.opset }, args)[0];
    v = out.dtype === 'bool' || out.dtype === dt ? out : { ...out, dtype: dt, data: Float64Array.from(out.data) };
    if (out.dtype === 'bool') v = { dtype: dt, shape: out.shape, data: exact ? Float64Array.from(out.data) : Float32Array.from(out.data) };
  }
  if (whole) {
    bug(sizeOf(v.shape) === rows * C * per, 'chain changed the number of values');
    const out = new Float64Array(rows * C);
    for (let r = 0; r < rows * C; r++) {
      out[r] = v.data[r * per];
      for (let i = 1; i < per; i++) {
        const x = v.data[r * per + i];
        if (x !== out[r] && !(Number.isNaN(x) && Number.isNaN(out[r]))) {
          fail('BNNC_E162', 'the ops on the raw input treat the elements of one channel differently (per-position scales or thresholds); bnnc thresholds the raw input per channel, or per element where it is flattened before a dense layer', { node: chain.steps[chain.steps.length - 1]?.node.name });
        }
      }
    }
    return out;
  }
  bug(sizeOf(v.shape) === rows * C, 'chain changed the number of values');
  return Float64Array.from(v.data);
}

export interface Thresholds {
  readonly t: Int32Array;
  /** 1: a ≥ t; −1: a ≤ t; 2: always +1; −2: always −1 (the Threshold op's kinds). */
  readonly kind: Int8Array;
  /** The activation's two values (levels.ts): −1 and +1 for a sign; +1 packs the higher. */
  readonly levels: Levels;
}

/** Integer thresholds for a chain that ends in a two-level activation, over reachable accumulators [lo_c, hi_c]. */
export function deriveThresholds(g: Graph, chain: Chain, lo: Int32Array | number[], hi: Int32Array | number[], where: { node: string }): Thresholds {
  const C = chain.channels;
  // the levels are what the float chain gives at the extremes (levels.ts); ONNX Sign's 0 at exactly 0 is
  // the documented exception of ±1
  const last = chain.steps.at(-1)?.node;
  const zeroOk = last?.domain === '' && last.op === 'Sign';
  const replayed = (acc: Float64Array): Float64Array => {
    const v = replay(g, chain, acc, 1, false);
    if (v.some(Number.isNaN)) fail('BNNC_E031', 'the chain after this layer produces NaN for a reachable accumulator', where);
    return v;
  };
  const vLo = replayed(Float64Array.from(lo)), vHi = replayed(Float64Array.from(hi));
  const levels = levelsOf(g, [...vLo, ...vHi], zeroOk, last, where);
  const bipolar = isBipolar(levels);
  const values = (acc: Float64Array): Float64Array => {
    const v = replayed(acc);
    for (const x of v) {
      if (x !== levels[0] && x !== levels[1] && !(x === 0 && zeroOk && bipolar)) {
        fail('BNNC_E161', `this binary activation takes the value ${x} besides ${levels[0]} and ${levels[1]}; bnnc lowers two-level activations`, where);
      }
    }
    return v;
  };
  // the decision: the higher level (for a sign, ≥ 0: Sign(0) packs as +1, docs/numerics.md)
  const mid = (levels[0] + levels[1]) / 2;
  const positive = (v: number): boolean => v >= mid;
  const decide = (acc: Float64Array): boolean[] => Array.from(values(acc), positive);
  // Sign(0) = 0 packs as +1 (docs/numerics.md), which is right for a value that lands on 0 by chance, not
  // for one that is 0 over a range of sums (Sign after Relu, a batch norm with γ = β = 0): a third level
  for (let c = 0; c < C && bipolar; c++) {
    if (vLo[c] === 0 || vHi[c] === 0) {
      fail('BNNC_E031', `the sign's input is exactly 0 at the reachable sum ${vLo[c] === 0 ? lo[c] : hi[c]} (channel ${c}), where ONNX Sign gives 0, a third level (Sign after Relu, or a batch norm with γ = β = 0); bnnc lowers two-level (±1) activations`, where);
    }
  }
  const atLo = Array.from(vLo, positive);
  const atHi = Array.from(vHi, positive);
  const t = new Int32Array(C);
  const kind = new Int8Array(C);
  const a = Float64Array.from(lo), b = Float64Array.from(hi);
  const active: number[] = [];
  for (let c = 0; c < C; c++) {
    if (atLo[c] === atHi[c]) { kind[c] = atLo[c] ? 2 : -2; continue; }
    kind[c] = atHi[c] ? 1 : -1;
    active.push(c);
  }
  // bisection on all active channels at once: invariant d(a) ≠ d(b) with d(b) the +1 side for kind 1
  for (let iter = 0; iter < 40 && active.some((c) => b[c] - a[c] > 1); iter++) {
    const mid = Float64Array.from(a, (x, c) => Math.floor((x + b[c]) / 2));
    const d = decide(mid);
    for (const c of active) {
      if (b[c] - a[c] <= 1) continue;
      const m = mid[c];
      const plus = d[c];
      // kind 1: −1 at a, +1 at b; kind −1: +1 at a, −1 at b
      if ((kind[c] === 1) === plus) b[c] = m; else a[c] = m;
    }
  }
  for (const c of active) t[c] = kind[c] === 1 ? b[c] : a[c];
  return { t, kind, levels };
}

/**
 * Folds an affine chain (no sign at its end) into y = a·scale + bias, computed exactly in float64 and
 * rounded once to float32 per constant. Fails if the chain is not affine in the accumulator.
 */
export function foldAffine(g: Graph, chain: Chain, where: { node: string }): { scale: Float32Array; bias: Float32Array } {
  const C = chain.channels;
  // by op first: a piecewise-linear op (Relu, Clip) looks affine to probes that miss its kink
  const bad = chain.steps.find(({ node }) => !isShapeOnly(node) && !(node.domain === '' && AFFINE_OPS.has(node.op)));
  if (bad) fail('BNNC_E031', `${bad.node.op} '${bad.node.name}' after this layer is not affine; bnnc folds only Add, Sub, Mul, Div, Neg and BatchNormalization into a last layer`, where);
  const probe = new Float64Array(3 * C);
  for (let c = 0; c < C; c++) { probe[c] = 0; probe[C + c] = 1; probe[2 * C + c] = 1024; }
  const v = replay(g, chain, probe, 3, true);
  const scale = new Float32Array(C), bias = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const b = v[c], s = v[C + c] - b;
    const far = v[2 * C + c];
    const expect = b + 1024 * s;
    if (!Number.isFinite(s) || !Number.isFinite(b) || Math.abs(far - expect) > 1e-9 * Math.max(1, Math.abs(far), Math.abs(expect))) {
      fail('BNNC_E031', `the ops after this layer are not affine in its output (channel ${c}); bnnc folds only Add, Sub, Mul, Div and BatchNormalization into a last layer`, where);
    }
    scale[c] = Math.fround(s);
    bias[c] = Math.fround(b);
  }
  return { scale, bias };
}

/** Direction of a chain so far per channel (1 increasing or constant, −1 decreasing) over [lo, hi]. */
export function chainDirection(g: Graph, chain: Chain, lo: ArrayLike<number>, hi: ArrayLike<number>): Int8Array {
  const a = replay(g, chain, Float64Array.from(lo), 1, false);
  const b = replay(g, chain, Float64Array.from(hi), 1, false);
  return Int8Array.from(a, (x, c) => (b[c] < x ? -1 : 1));
}
