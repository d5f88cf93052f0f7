// Small float BNNs built in code for the lowering tests: a builder that tracks the current tensor, its
// [C, H, W] geometry and a rough per-channel mean/spread (so biases, batch-norm means and thresholds land
// where the signs are balanced), and `lowerAndCheck`, which lowers a model and compares it with the float
// model on seeded raw inputs through `checkModel` and the interpreter.
import { expect } from 'vitest';
import { checkModel, type CheckReport, type CheckSample, sampleFromRaw } from '../../src/check.js';
import { lowerModel } from '../../src/compile.js';
import { run } from '../../src/interp/run.js';
import { tensor } from '../../src/ir/tensor.js';
import type { DType, Graph, Tensor } from '../../src/ir/types.js';
import type { InputQuant } from '../../src/lower/lower.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { IMPORT_PIPELINE, runPipeline } from '../../src/passes/index.js';
import { type AttrIn, buildModel, type NodeIn, rng } from '../helpers/onnx-build.js';

/**
 * Binary weights: 'pm1' all ±1; 'pow2' ±α per filter with α a power of two (float sums stay exact);
 * 'alpha' ±α with α anywhere in [0.1, 2] (float sums round). 'latent': float weights of magnitudes 0 … 2
 * (one in twenty exactly 0) for --binarize-weights.
 */
export type WeightKind = 'pm1' | 'pow2' | 'alpha' | 'latent';

export const QONNX = 'qonnx.custom_op.general';

/** x = q/256: an exact input scale (float sums of the first layer stay exact). */
export const Q256: InputQuant = { dtype: 'uint8', scale: 1, divisor: 256, zeroPoint: 0 };
/** x = q/255, as most exporters scale pixels (float sums of the first layer round). */
export const Q255: InputQuant = { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 };

interface Stat { mean: number[]; std: number[] }

export class Net {
  readonly nodes: NodeIn[] = [];
  readonly inits: Record<string, Tensor> = {};
  readonly outputs: { name: string; dtype: DType }[] = [];
  readonly r: () => number;
  x = 'x';
  C: number;
  H: number;
  W: number;
  /** Rank of the current tensor: 4 (NCHW) or 2 ([N, C] after a flatten or a dense layer). */
  rank: number;
  /** Rough mean and spread per channel of the current tensor, for choosing offsets near its centre. */
  stat: Stat;
  private count = 0;

  /** `xmax`: the largest float input value (1 for q/255, 255 for q/1, 127 for int8). */
  constructor(seed: number, readonly input: { dtype: DType; shape: number[] }, xmax = 1, signed = false) {
    this.r = rng(seed);
    const s = input.shape;
    [this.C, this.H, this.W] = s.length === 4 ? [s[1], s[2], s[3]] : [s[1], 1, 1];
    this.rank = s.length;
    this.stat = { mean: new Array<number>(this.C).fill(signed ? 0 : xmax / 2), std: new Array<number>(this.C).fill(xmax / Math.sqrt(3) / (signed ? 1 : 2)) };
  }

  fresh(base: string): string {
    return `${base}${this.count++}`;
  }

  init(base: string, t: Tensor): string {
    const name = this.fresh(base);
    this.inits[name] = t;
    return name;
  }

  f32(base: string, shape: number[], values: ArrayLike<number>): string {
    return this.init(base, tensor('float32', shape, values));
  }

  /** Appends a node reading `inputs` (often `[this.x, …]`); its first output becomes the current tensor. */
  node(op: string, inputs: string[], attrs?: Record<string, AttrIn>, opts: { domain?: string; outputs?: number; name?: string } = {}): string[] {
    const outs = Array.from({ length: opts.outputs ?? 1 }, () => this.fresh(op.toLowerCase()));
    this.nodes.push({ op, inputs, outputs: outs, attrs, domain: opts.domain, name: opts.name ?? this.fresh(`${op}_`) });
    this.x = outs[0];
    return outs;
  }

  /**
   * Per output filter m of `M`, `inner` weights ±α_m; returns the data and the α's. For 'latent' weights,
   * `binary` is what --binarize-weights makes of them (α = mean |w| of the filter, sign(0) = +1).
   */
  weights(kind: WeightKind, M: number, inner: number): { data: number[]; alpha: number[]; binary: number[] } {
    if (kind === 'latent') {
      const data = Array.from({ length: M * inner }, () => (this.r() < 0.05 ? 0 : Math.fround((this.r() < 0.5 ? -1 : 1) * 2 * this.r())));
      const alpha = Array.from({ length: M }, (_, m) => Math.fround(data.slice(m * inner, (m + 1) * inner).reduce((a, v) => a + Math.abs(v), 0) / inner));
      return { data, alpha, binary: data.map((v, i) => (v < 0 ? -1 : 1) * alpha[Math.floor(i / inner)]) };
    }
    const alpha = Array.from({ length: M }, () => (kind === 'pm1' ? 1 : kind === 'pow2' ? 2 ** (Math.floor(this.r() * 6) - 3) : Math.fround(0.1 + 1.9 * this.r())));
    const data = Array.from({ length: M * inner }, (_, i) => (this.r() < 0.5 ? -1 : 1) * alpha[Math.floor(i / inner)]);
    return { data, alpha, binary: data };
  }

  /** Expected mean and spread of a layer's outputs per filter, from its weights and the input's stats. */
  private layerStat(data: number[], M: number, inner: number, chOf: (m: number, j: number) => number): Stat {
    const mean: number[] = [], std: number[] = [];
    for (let m = 0; m < M; m++) {
      let mu = 0, v = 0;
      for (let j = 0; j < inner; j++) {
        const w = data[m * inner + j], c = chOf(m, j);
        mu += w * this.stat.mean[c];
        v += w * w * this.stat.std[c] ** 2;
      }
      mean.push(mu);
      std.push(Math.sqrt(v) || 1);
    }
    return { mean, std };
  }

  conv(M: number, o: { k?: number; s?: number; pads?: number[]; d?: number; group?: number; w?: WeightKind; bias?: boolean } = {}): this {
    const k = o.k ?? 3, s = o.s ?? 1, d = o.d ?? 1, group = o.group ?? 1, pads = o.pads ?? [0, 0, 0, 0];
    const Cg = this.C / group, inner = Cg * k * k;
    const { data, binary } = this.weights(o.w ?? 'pm1', M, inner);
    const w = this.f32('w', [M, Cg, k, k], data);
    const stat = this.layerStat(binary, M, inner, (m, j) => Math.floor(m / (M / group)) * Cg + Math.floor(j / (k * k)));
    const inputs = [this.x, w];
    if (o.bias) {
      const b = stat.mean.map((mu, m) => Math.fround(-mu + (this.r() - 0.5) * stat.std[m]));
      inputs.push(this.f32('cb', [M], b));
      stat.mean = stat.mean.map((mu, m) => mu + b[m]);
    }
    this.node('Conv', inputs, { kernel_shape: [k, k], strides: [s, s], pads, dilations: [d, d], group });
    const dk = (k - 1) * d + 1;
    this.H = Math.floor((this.H + pads[0] + pads[2] - dk) / s) + 1;
    this.W = Math.floor((this.W + pads[1] + pads[3] - dk) / s) + 1;
    this.C = M;
    this.stat = stat;
    return this;
  }

  /** A dense layer on the current (flattened) tensor: Gemm (transB 0 or 1) or MatMul with [K, M] weights. */
  dense(M: number, o: { op?: 'Gemm' | 'MatMul'; transB?: 0 | 1; w?: WeightKind; bias?: boolean; alpha?: number; beta?: number } = {}): this {
    const K = this.C * this.H * this.W, op = o.op ?? 'Gemm', transB = o.transB ?? 1;
    const { data, binary } = this.weights(o.w ?? 'pm1', M, K);
    const hw = this.H * this.W;
    const stat = this.layerStat(binary, M, K, (_m, j) => Math.floor(j / hw));
    // data is [M, K]; stored as [M, K] for transB 1, [K, M] otherwise
    const kxm = Array.from({ length: K * M }, (_, i) => data[(i % M) * K + Math.floor(i / M)]);
    const w = op === 'Gemm' && transB ? this.f32('w', [M, K], data) : this.f32('w', [K, M], kxm);
    const scale = o.alpha ?? 1;
    stat.mean = stat.mean.map((v) => v * scale);
    stat.std = stat.std.map((v) => v * Math.abs(scale));
    if (op === 'MatMul') {
      this.node('MatMul', [this.x, w]);
    } else {
      const inputs = [this.x, w];
      if (o.bias) {
        const beta = o.beta ?? 1;
        const b = stat.mean.map((mu, m) => Math.fround((-mu + (this.r() - 0.5) * stat.std[m]) / beta));
        inputs.push(this.f32('gb', [M], b));
        stat.mean = stat.mean.map((mu, m) => mu + beta * b[m]);
      }
      const attrs: Record<string, AttrIn> = { transB };
      if (o.alpha !== undefined) attrs.alpha = { float: o.alpha };
      if (o.beta !== undefined) attrs.beta = { float: o.beta };
      this.node('Gemm', inputs, attrs);
    }
    this.C = M; this.H = 1; this.W = 1; this.rank = 2;
    this.stat = stat;
    return this;
  }

  /**
   * BatchNormalization with means near each channel's centre; `neg` channels get γ < 0 (the decision flips
   * direction), `zero` channels γ = 0 (a constant channel, +1 when β ≥ 0, −1 otherwise).
   */
  bn(o: { neg?: number[]; zero?: number[]; zeroBeta?: number } = {}): this {
    const C = this.C, r = this.r;
    const gamma = Array.from({ length: C }, (_, c) => (o.zero?.includes(c) ? 0 : (o.neg?.includes(c) ? -1 : 1) * (0.25 + 2 * r())));
    const beta = Array.from({ length: C }, (_, c) => (o.zero?.includes(c) ? (o.zeroBeta ?? (c % 2 ? 0.5 : -0.5)) : r() - 0.5));
    const mu = this.stat.mean.map((m, c) => m + (r() - 0.5) * this.stat.std[c]);
    const v = this.stat.std.map((s) => Math.fround(s * s * (0.5 + r())));
    const ins = [this.x, this.f32('gamma', [C], gamma), this.f32('beta', [C], beta), this.f32('mu', [C], mu), this.f32('var', [C], v)];
    this.node('BatchNormalization', ins, { epsilon: { float: 1e-5 } });
    this.stat = { mean: beta, std: gamma.map((g) => Math.abs(g) + 0.1) };
    return this;
  }

  /** Add of a per-channel (or scalar) constant that centres the current tensor, up to a random offset. */
  center(scalar = false): this {
    const off = this.stat.mean.map((m, c) => -m + (this.r() - 0.5) * this.stat.std[c]);
    if (scalar) {
      const mean = off.reduce((a, b) => a + b, 0) / off.length;
      this.node('Add', [this.x, this.f32('c', [], [mean])]);
      this.stat = { mean: this.stat.mean.map((m) => m + mean), std: this.stat.std };
    } else {
      this.node('Add', [this.x, this.f32('c', this.chShape(), off)]);
      this.stat = { mean: this.stat.mean.map((m, c) => m + off[c]), std: this.stat.std };
    }
    return this;
  }

  /** Shape [1, C, 1, 1] for rank 4 tensors, [1, C] for rank 2: a per-channel operand. */
  chShape(): number[] {
    return this.rank === 2 ? [1, this.C] : [1, this.C, 1, 1];
  }

  /** Elementwise op with a constant: `per` channel or scalar. Values in `vals` (one per channel or one). */
  arith(op: 'Add' | 'Sub' | 'Mul' | 'Div', vals: number[]): this {
    const name = vals.length === 1 ? this.f32('k', [], vals) : this.f32('k', this.chShape(), vals);
    this.node(op, [this.x, name]);
    const v = (c: number) => vals[vals.length === 1 ? 0 : c];
    const f = { Add: (m: number, c: number) => m + v(c), Sub: (m: number, c: number) => m - v(c), Mul: (m: number, c: number) => m * v(c), Div: (m: number, c: number) => m / v(c) }[op];
    const g = op === 'Mul' ? (s: number, c: number) => s * Math.abs(v(c)) : op === 'Div' ? (s: number, c: number) => s / Math.abs(v(c)) : (s: number) => s;
    this.stat = { mean: this.stat.mean.map(f), std: this.stat.std.map(g) };
    return this;
  }

  /** A unary or binarizing op on the current tensor keeping its shape. */
  unary(op: string, extra: string[] = [], attrs?: Record<string, AttrIn>, domain?: string): this {
    this.node(op, [this.x, ...extra], attrs, { domain });
    return this;
  }

  sign(): this {
    this.unary('Sign');
    this.stat = { mean: new Array<number>(this.C).fill(0), std: new Array<number>(this.C).fill(1) };
    return this;
  }

  /** After a binarizer: its values are ±1. */
  binary(): this {
    this.stat = { mean: new Array<number>(this.C).fill(0), std: new Array<number>(this.C).fill(1) };
    return this;
  }

  maxPool(k = 2, s = 2, pads = [0, 0, 0, 0]): this {
    this.node('MaxPool', [this.x], { kernel_shape: [k, k], strides: [s, s], pads });
    this.H = Math.floor((this.H + pads[0] + pads[2] - k) / s) + 1;
    this.W = Math.floor((this.W + pads[1] + pads[3] - k) / s) + 1;
    return this;
  }

  flatten(): this {
    this.node('Flatten', [this.x], { axis: 1 });
    this.rank = 2;
    return this;
  }

  reshape(): this {
    this.node('Reshape', [this.x, this.init('shape', tensor('int64', [2], [1, -1]))]);
    this.rank = 2;
    return this;
  }

  /** An explicit constant Pad (value ±1 or 0) of the spatial axes [top, left, bottom, right]. */
  pad(p: number[], value: number): this {
    this.node('Pad', [this.x, this.init('pads', tensor('int64', [8], [0, 0, p[0], p[1], 0, 0, p[2], p[3]])), this.f32('pv', [], [value])], { mode: 'constant' });
    this.H += p[0] + p[2];
    this.W += p[1] + p[3];
    return this;
  }

  /** Marks the current tensor a graph output (float32 unless stated). */
  output(dtype: DType = 'float32', name = this.x): this {
    this.outputs.push({ name, dtype });
    return this;
  }

  bytes(): Uint8Array {
    const domains = this.nodes.some((n) => n.domain === QONNX) ? { [QONNX]: 1 } : undefined;
    return buildModel({ inputs: [{ name: 'x', dtype: this.input.dtype, shape: this.input.shape }], outputs: this.outputs, nodes: this.nodes, initializers: this.inits, domains });
  }

  /** The float IR, as `loadModel` gives it. */
  float(): Graph {
    return runPipeline(importModelBytes(this.bytes()), IMPORT_PIPELINE);
  }
}

export interface CheckResult {
  report: CheckReport;
  float: Graph;
  lowered: Graph;
  /** Per float32 output: the largest |lowered − float| and the bound it was held to. */
  worst: Map<string, { diff: number; bound: number }>;
  /** Per binary layer (float node name): the fraction of +1 among its float outputs. */
  plus: Map<string, number>;
}

/** Seeded raw inputs as the firmware takes them, with the float model's input for each. */
export function rawSamples(float: Graph, lowered: Graph, q: InputQuant | undefined, n: number, seed: number): CheckSample[] {
  const r = rng(seed);
  const inType = float.inputs[0].type;
  const dt = q?.dtype ?? (inType.dtype as 'uint8' | 'int8');
  const [lo, hi] = dt === 'uint8' ? [0, 255] : [-128, 127];
  const size = inType.shape.reduce((a, b) => a * b, 1);
  const out: CheckSample[] = [];
  for (let i = 0; i < n; i++) {
    const raw = Array.from({ length: size }, () => lo + Math.floor(r() * (hi - lo + 1)));
    if (q) out.push(sampleFromRaw(inType, raw, q, lowered.inputs[0].type.shape));
    else out.push({ q: tensor(dt, lowered.inputs[0].type.shape, raw), x: tensor(dt, inType.shape, raw) });
  }
  return out;
}

/**
 * The bound on float outputs. The Epilogue computes y = fl(fl(a·ŝ) + b̂), where ŝ, b̂ are the affine chain
 * folded exactly in float64 and rounded once each; the float model rounds after each of its chain ops
 * (Gemm's alpha and bias, batch norm's four steps, each Mul/Add/Sub/Div). At the same integer accumulator a,
 * each side is within a few roundings (2⁻²⁴ relative each) of the exact value, measured at the largest
 * intermediate magnitude; with the well-conditioned constants of these tests that stays within
 * 16·2⁻²⁴·max(1, max|y|), i.e. about 16 float32 ULPs at the largest output (the worst seen is 6), while a
 * wrong scale or bias would be off by far more.
 */
export const OUTPUT_REL_BOUND = 2 ** -20;

/**
 * Lowers `net` and compares it with the float model on `n` seeded raw inputs: checkModel's per-layer bits
 * and top-1 agreement (required ≥ `minBits` and ≥ `minAgree`; 1 means every bit), and every graph output
 * (float32 within OUTPUT_REL_BOUND, integer outputs equal on samples whose top-1 agrees).
 */
export function lowerAndCheck(net: Net | Graph, q: InputQuant | undefined, o: { n?: number; seed?: number; minBits?: number; minAgree?: number; balanced?: boolean } = {}): CheckResult {
  const float = net instanceof Net ? net.float() : net;
  const lowered = lowerModel(float, { inputQuant: q });
  const samples = rawSamples(float, lowered, q, o.n ?? 30, o.seed ?? 7);
  const report = checkModel(float, lowered, samples);
  const minBits = o.minBits ?? 1, minAgree = o.minAgree ?? 1;
  expect(report.layers.length, 'binary layers found by checkModel').toBeGreaterThan(0);
  for (const l of report.layers) {
    expect(l.identical / l.bits, `identical bits at '${l.node}' (${l.bits - l.identical} differ)`).toBeGreaterThanOrEqual(minBits);
  }
  expect(report.agreement, 'top-1 agreement').toBeGreaterThanOrEqual(minAgree);
  for (const d of report.disagreements) expect(d.cause).toMatch(/threshold|rounding/);
  const worst = new Map<string, { diff: number; bound: number }>();
  // +1 is the higher of a layer's two levels (the lowered Threshold's `levels`, −1 and +1 for a sign)
  const mid = (node: string) => {
    const l = (lowered.nodes.find((n) => n.op === 'Threshold' && n.name === node)?.attrs.levels as number[] | undefined) ?? [-1, 1];
    return (l[0] + l[1]) / 2;
  };
  const signs = report.layers.map((l) => ({ node: l.node, out: float.nodes.find((n) => n.name === l.node)!.outputs[0], mid: mid(l.node), plus: 0, all: 0 }));
  for (const s of samples) {
    const fv = run(float, { [float.inputs[0].name]: s.x }, { keepAll: true });
    for (const l of signs) {
      const v = fv.get(l.out)!.data;
      l.all += v.length;
      for (let i = 0; i < v.length; i++) if (v[i] >= l.mid) l.plus++;
    }
    if (minBits === 1) {
      const lv = run(lowered, { [lowered.inputs[0].name]: s.q });
      for (const name of float.outputs) {
        const f = fv.get(name)!, l = lv.get(name)!;
        expect(l.dtype, name).toBe(f.dtype);
        expect([...l.shape], name).toEqual([...f.shape]);
        if (f.dtype === 'float32') {
          const bound = OUTPUT_REL_BOUND * Math.max(1, ...Array.from(f.data, Math.abs));
          let diff = 0;
          for (let i = 0; i < f.data.length; i++) diff = Math.max(diff, Math.abs(f.data[i] - l.data[i]));
          const w = worst.get(name);
          worst.set(name, { diff: Math.max(diff, w?.diff ?? 0), bound: Math.min(bound, w?.bound ?? Infinity) });
          expect(diff, `|lowered − float| at output '${name}'`).toBeLessThanOrEqual(bound);
        } else {
          expect([...l.data], name).toEqual([...f.data]);
        }
      }
    }
  }
  const plus = new Map(signs.map((l) => [l.node, l.plus / l.all]));
  // a layer whose outputs are (nearly) all one sign would make its check vacuous
  if (o.balanced ?? true) {
    for (const [node, p] of plus) {
      expect(p, `fraction of +1 at '${node}'`).toBeGreaterThan(0.05);
      expect(p, `fraction of +1 at '${node}'`).toBeLessThan(0.95);
    }
  }
  return { report, float, lowered, worst, plus };
}

/** The ops of a lowered graph, in order, as "domain::op" for bnnc ops and plain names otherwise. */
export function loweredOps(g: Graph): string[] {
  return g.nodes.map((n) => (n.domain === 'bnnc' ? n.op : `${n.domain ? `${n.domain}::` : ''}${n.op}`));
}
