// The lowered ops of residual and pooled BNNs (#13) against independent sources: SumPool and BitSumPool
// against onnxruntime's depthwise Conv with an all-ones kernel (the exact window sum, zero-padded, of the
// integer or ±1 values as floats); AddRequant against the same formula in BigInt arithmetic.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/ir/tensor.js';
import type { DType, Tensor } from '../../src/ir/types.js';
import { packBits } from '../../src/numeric/bits.js';
import { buildModel, compareWithOrt, rng, runOrt, type NodeIn } from '../helpers/onnx-build.js';
import { errorCode, runBnncOp } from './op-check.js';

const run = runBnncOp;

function toNchw(v: ArrayLike<number>, [n, h, w, c]: number[]): number[] {
  const out = new Array<number>(v.length);
  for (let a = 0; a < n; a++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[((a * c + k) * h + y) * w + x] = v[((a * h + y) * w + x) * c + k];
  return out;
}
function toNhwc(v: ArrayLike<number>, [n, c, h, w]: number[]): number[] {
  const out = new Array<number>(v.length);
  for (let a = 0; a < n; a++) for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((a * h + y) * w + x) * c + k] = v[((a * c + k) * h + y) * w + x];
  return out;
}

interface Case { c: number; k: [number, number]; s: number; pads: number[]; dil: number }
const CASES: Case[] = [];
for (const c of [1, 31, 33, 40]) {
  for (const k of [[2, 2], [3, 3], [3, 2]] as [number, number][]) {
    for (const s of [1, 2]) for (const pads of [[0, 0, 0, 0], [1, 1, 1, 1], [0, 1, 1, 0]]) CASES.push({ c, k, s, pads, dil: 1 });
  }
  CASES.push({ c, k: [2, 2], s: 1, pads: [1, 1, 1, 1], dil: 2 }, { c, k: [7, 6], s: 1, pads: [0, 0, 0, 0], dil: 1 });
}

/** Window sums per case (NHWC in, NHWC out) by onnxruntime: a depthwise Conv with a kernel of ones. */
async function ortSums(xs: number[][], n: number, h: number, w: number): Promise<number[][]> {
  const nodes: NodeIn[] = [], feeds: Record<string, Tensor> = {}, inits: Record<string, Tensor> = {};
  const inputs: { name: string; dtype: DType; shape: number[] }[] = [], outputs: { name: string; dtype: DType }[] = [];
  CASES.forEach((cs, i) => {
    inputs.push({ name: `x${i}`, dtype: 'float32', shape: [n, cs.c, h, w] });
    feeds[`x${i}`] = tensor('float32', [n, cs.c, h, w], toNchw(xs[i], [n, h, w, cs.c]));
    inits[`w${i}`] = tensor('float32', [cs.c, 1, ...cs.k], new Array(cs.c * cs.k[0] * cs.k[1]).fill(1));
    nodes.push({ op: 'Conv', inputs: [`x${i}`, `w${i}`], outputs: [`y${i}`], attrs: { group: cs.c, kernel_shape: cs.k, strides: [cs.s, cs.s], pads: cs.pads, dilations: [cs.dil, cs.dil] } });
    outputs.push({ name: `y${i}`, dtype: 'float32' });
  });
  const out = await runOrt(buildModel({ inputs, outputs, nodes, initializers: inits, opset: 13 }), feeds);
  return CASES.map((_, i) => toNhwc(out[`y${i}`].data, [...out[`y${i}`].shape]));
}

const attrsOf = (cs: Case) => ({ kernel_shape: cs.k, strides: [cs.s, cs.s], pads: cs.pads, dilations: [cs.dil, cs.dil] });

describe('SumPool against onnxruntime (depthwise Conv of ones)', () => {
  it('sums int8 and int32 windows over channels, kernels, strides, pads and dilations', async () => {
    const r = rng(5), n = 2, h = 7, w = 6;
    const xs = CASES.map((cs) => Array.from({ length: n * h * w * cs.c }, () => Math.floor(r() * 256) - 128));
    const want = await ortSums(xs, n, h, w);
    CASES.forEach((cs, i) => {
      const y16 = run('SumPool', { ...attrsOf(cs), bits: 16 }, [tensor('int8', [n, h, w, cs.c], xs[i])]);
      expect(y16.dtype).toBe('int16');
      expect(Array.from(y16.data), JSON.stringify(cs)).toEqual(want[i]);
      const big = xs[i].map((v) => v * 1000);
      const y32 = run('SumPool', { ...attrsOf(cs), bits: 32 }, [tensor('int32', [n, h, w, cs.c], big)]);
      expect(Array.from(y32.data), JSON.stringify(cs)).toEqual(want[i].map((v) => v * 1000));
    });
  });
  it('refuses an output type a window could overflow (BNNC_E140)', () => {
    expect(errorCode(() => run('SumPool', { kernel_shape: [2, 2], bits: 16 }, [tensor('int16', [1, 2, 2, 1], [1, 2, 3, 4])]))).toBe('BNNC_E140');
  });
});

describe('BitSumPool against onnxruntime on ±1 floats', () => {
  it('sums packed ±1 windows, tail words and all', async () => {
    const r = rng(6), n = 2, h = 7, w = 6;
    const xs = CASES.map((cs) => Array.from({ length: n * h * w * cs.c }, () => (r() < 0.6 ? -1 : 1)));
    const want = await ortSums(xs, n, h, w);
    CASES.forEach((cs, i) => {
      const y = run('BitSumPool', { ...attrsOf(cs), channels: cs.c }, [packBits(xs[i], [n, h, w, cs.c])]);
      expect(y.dtype).toBe('int8');
      expect(Array.from(y.data), JSON.stringify(cs)).toEqual(want[i]);
    });
  });
  it('takes int16 for windows of more than 127 values, refuses them in int8 (BNNC_E140)', () => {
    const x = packBits(new Array(12 * 12 * 3).fill(-1), [1, 12, 12, 3]);
    expect(Array.from(run('BitSumPool', { kernel_shape: [12, 12], channels: 3, bits: 16 }, [x]).data)).toEqual([-144, -144, -144]);
    expect(errorCode(() => run('BitSumPool', { kernel_shape: [12, 12], channels: 3 }, [x]))).toBe('BNNC_E140');
  });
});

/** clamp(round_half_even((a·ma + b·mb + k) / 2^S)) in BigInt. */
function requantBig(a: number, b: number, ma: number, mb: number, k: number, S: number, qmin: number, qmax: number): number {
  const t = BigInt(a) * BigInt(ma) + BigInt(b) * BigInt(mb) + BigInt(k), d = 1n << BigInt(S);
  let q = t / d; // truncates toward 0
  if (q * d > t) q -= 1n; // floor
  const rem2 = 2n * (t - q * d);
  if (rem2 > d || (rem2 === d && (q & 1n) === 1n)) q += 1n;
  return Number(q < BigInt(qmin) ? BigInt(qmin) : q > BigInt(qmax) ? BigInt(qmax) : q);
}

describe('AddRequant against BigInt arithmetic', () => {
  it('requantizes int32 + int8 sums, ties to even, clamping, over shifts 0 … 40', () => {
    const r = rng(9);
    for (const S of [0, 1, 7, 20, 30, 40]) {
      const C = 5, P = 60;
      const aMax = S > 20 ? 1000 : 2 ** 20;
      const a = Array.from({ length: P * C }, () => Math.floor((r() - 0.5) * 2 * aMax));
      const b = Array.from({ length: P * C }, () => Math.floor(r() * 256) - 128);
      // multipliers so that |t| stays below 2^53 for int32 × ma: |ma| < 2^21
      const m = (cap: number) => Array.from({ length: C }, () => Math.floor((r() - 0.5) * 2 * cap));
      const ma = m(2 ** 20), mb = m(2 ** 30), k = m(2 ** 30);
      // ties: some channels with multipliers 2^(S−1) make half-way cases
      if (S > 0 && S <= 21) { ma[0] = 2 ** (S - 1); mb[0] = 0; k[0] = 0; }
      const y = run('AddRequant', { shift: S, qmin: -100, qmax: 120 }, [
        tensor('int32', [1, 6, 10, C], a), tensor('int8', [1, 6, 10, C], b), tensor('int32', [C], ma), tensor('int32', [C], mb), tensor('int32', [C], k)]);
      expect(y.dtype).toBe('int8');
      const want = a.map((av, i) => requantBig(av, b[i], ma[i % C], mb[i % C], k[i % C], S, -100, 120));
      expect(Array.from(y.data), `shift ${S}`).toEqual(want);
    }
  });
  it('writes int16 and uint8 outputs', () => {
    const ins = (dt: DType) => [tensor(dt, [1, 1, 2, 2], [3, -3, 100, -100]), tensor('int8', [1, 1, 2, 2], [1, 1, 1, 1]), tensor('int32', [2], [3, 3]), tensor('int32', [2], [2, 2]), tensor('int32', [2], [0, 0])];
    expect(Array.from(run('AddRequant', { shift: 1, qmin: -1000, qmax: 1000, bits: 16 }, ins('int32')).data)).toEqual([6, -4, 151, -149]);
    const u = run('AddRequant', { shift: 1, qmin: 0, qmax: 255, signed: 0 }, ins('int32'));
    expect(u.dtype).toBe('uint8');
    expect(Array.from(u.data)).toEqual([6, 0, 151, 0]);
  });
  it('refuses constants whose sum could leave 2^53 (BNNC_E140)', () => {
    const big = [tensor('int32', [1, 1, 1, 1], [1]), tensor('int32', [1, 1, 1, 1], [1]), tensor('int32', [1], [2 ** 30]), tensor('int32', [1], [2 ** 30]), tensor('int32', [1], [0])];
    expect(errorCode(() => run('AddRequant', { shift: 4, qmin: -128, qmax: 127 }, big))).toBe('BNNC_E140');
  });
});

describe('PRelu against onnxruntime', () => {
  it('per-channel and scalar slopes, negative and positive inputs', async () => {
    const r = rng(12);
    const x = tensor('float32', [2, 3, 4, 5], Array.from({ length: 120 }, () => Math.fround((r() - 0.5) * 8)));
    const slope = tensor('float32', [3, 1, 1], [0.25, -0.5, 1.75]);
    await compareWithOrt({ inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, 4, 5] }], outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'PRelu', inputs: ['x', 's'], outputs: ['y'] }], initializers: { s: slope }, opset: 13 }, { x }, { ulps: 0 });
    await compareWithOrt({ inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, 4, 5] }], outputs: [{ name: 'y', dtype: 'float32' }],
      nodes: [{ op: 'PRelu', inputs: ['x', 's'], outputs: ['y'] }], initializers: { s: tensor('float32', [1], [0.1]) }, opset: 13 }, { x }, { ulps: 0 });
  });
});

describe('ChannelConcat and BitConcat against onnxruntime Concat on axis 1', () => {
  it('joins int8 channels and packed ±1 channels (word boundaries 31 + 33, 32 + 1, 5 + 64)', async () => {
    const r = rng(13), n = 2, h = 3, w = 2;
    for (const [ca, cb] of [[31, 33], [32, 1], [5, 64], [1, 1]]) {
      const [va, vb] = [ca, cb].map((c) => Array.from({ length: n * h * w * c }, () => Math.floor(r() * 256) - 128));
      const [sa, sb] = [va, vb].map((v) => v.map((x) => (x < 0 ? -1 : 1)));
      const feeds = { a: tensor('float32', [n, ca, h, w], toNchw(va, [n, h, w, ca])), b: tensor('float32', [n, cb, h, w], toNchw(vb, [n, h, w, cb])),
        sa: tensor('float32', [n, ca, h, w], toNchw(sa, [n, h, w, ca])), sb: tensor('float32', [n, cb, h, w], toNchw(sb, [n, h, w, cb])) };
      const out = await runOrt(buildModel({
        inputs: [['a', ca], ['b', cb], ['sa', ca], ['sb', cb]].map(([name, c]) => ({ name: name as string, dtype: 'float32' as DType, shape: [n, c as number, h, w] })),
        outputs: [{ name: 'y', dtype: 'float32' }, { name: 'ys', dtype: 'float32' }],
        nodes: [{ op: 'Concat', inputs: ['a', 'b'], outputs: ['y'], attrs: { axis: 1 } }, { op: 'Concat', inputs: ['sa', 'sb'], outputs: ['ys'], attrs: { axis: 1 } }], opset: 13,
      }), feeds);
      const y = run('ChannelConcat', {}, [tensor('int8', [n, h, w, ca], va), tensor('int8', [n, h, w, cb], vb)]);
      expect(Array.from(y.data), `${ca}+${cb}`).toEqual(toNhwc(out.y.data, [n, ca + cb, h, w]));
      const bits = run('BitConcat', { channels: [ca, cb] }, [packBits(sa, [n, h, w, ca]), packBits(sb, [n, h, w, cb])]);
      expect(Array.from(bits.data), `${ca}+${cb} bits`).toEqual(Array.from(packBits(toNhwc(out.ys.data, [n, ca + cb, h, w]), [n, h, w, ca + cb]).data));
    }
  });
});
