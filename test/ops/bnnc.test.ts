// The lowered ops (domain 'bnnc') against independent sources: onnxruntime running the standard ONNX op on
// the unpacked ±1 (or integer-valued) floats, and hand-derived vectors. Each grid is one ORT model holding
// every case as its own Conv / MaxPool node, so a whole grid costs one session.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/ir/tensor.js';
import type { AttrValue, DType, Tensor } from '../../src/ir/types.js';
import { packBits, packWeights, unpackBits } from '../../src/numeric/bits.js';
import { buildModel, randomTensor, rng, runOrt, type NodeIn } from '../helpers/onnx-build.js';
import { bnncCtx, bnncOp, errorCode, runBnncOp } from './op-check.js';

const op = bnncOp, ctxFor = bnncCtx, run = runBnncOp;

const pm1 = (r: () => number, n: number) => Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1));

/** [N, H, W, C] ↔ [N, C, H, W] by index arithmetic. */
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

function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) expect(actual[i], `${label}: first difference at ${i}`).toBe(expected[i]);
  }
}

// ---------------------------------------------------------------------------------------------------------
// XnorConv vs ONNX Conv on ±1 floats (Pad with ±1, then an unpadded Conv, for pad_value ±1)

interface ConvCase { c: number; m: number; group: number; k: [number, number]; s: number; pads: number[]; dil: number; pv: number; h: number; w: number }

const PADS: Record<string, number[]> = { p0: [0, 0, 0, 0], p1: [1, 1, 1, 1], asym: [0, 1, 2, 0], asym2: [2, 0, 1, 1] };

function convGrid(): ConvCase[] {
  const cases: ConvCase[] = [];
  const base = { group: 1, dil: 1, pv: 0, h: 7, w: 6 };
  // dense channel counts × kernels × strides × pads (group 1, zero padding)
  for (const c of [1, 3, 31, 32, 33, 65, 130]) {
    for (const k of [1, 3, 5]) {
      for (const s of [1, 2]) {
        for (const p of ['p0', 'p1', 'asym']) cases.push({ ...base, c, m: 1 + ((c + k + s) % 5), k: [k, k], s, pads: PADS[p] });
      }
    }
  }
  // padding with ±1
  for (const c of [1, 31, 33, 130]) {
    for (const k of [3, 5]) {
      for (const p of ['p1', 'asym', 'asym2']) {
        for (const pv of [1, -1]) cases.push({ ...base, c, m: 3, k: [k, k], s: 1 + (c % 2), pads: PADS[p], pv });
      }
    }
  }
  // groups, depthwise (multiplier 1 and 2), with each padding convention
  const groups: [number, number, number][] = [[2, 2, 4], [32, 2, 6], [66, 2, 4], [130, 2, 2], [96, 3, 6], [3, 3, 3], [33, 33, 33], [65, 65, 130], [130, 130, 130]];
  for (const [c, group, m] of groups) {
    for (const k of [1, 3]) {
      for (const s of [1, 2]) {
        for (const [p, pv] of [['p0', 0], ['asym', 0], ['p1', 1], ['asym2', -1]] as const) {
          if (k === 1 && pv !== 0) continue;
          cases.push({ ...base, c, m, group, k: [k, k], s, pads: PADS[p], pv });
        }
      }
    }
  }
  // dilation 2 (with groups and ±1 padding), and rectangular kernels
  for (const [c, group] of [[3, 1], [33, 1], [65, 1], [34, 2], [33, 33]]) {
    for (const k of [3, 5]) {
      for (const [p, pv] of [['p0', 0], ['p1', 0], ['asym', 1], ['p1', -1]] as const) {
        cases.push({ c, m: group === c ? c : 4, group, k: [k, k], s: k === 3 ? 2 : 1, pads: PADS[p], dil: 2, pv, h: 11, w: 10 });
      }
    }
  }
  cases.push({ ...base, c: 40, m: 3, k: [3, 1], s: 1, pads: [1, 0, 1, 0] }, { ...base, c: 40, m: 3, k: [1, 3], s: 2, pads: PADS.asym, pv: -1 });
  return cases;
}

describe('XnorConv against onnxruntime Conv on ±1 floats', () => {
  it('matches over the grid of channels, kernels, strides, pads, pad values, groups and dilations', async () => {
    const r = rng(11);
    const cases = convGrid();
    const n = 2;
    const nodes: NodeIn[] = [];
    const initializers: Record<string, Tensor> = {};
    const feeds: Record<string, Tensor> = {};
    const inputs: { name: string; dtype: DType; shape: number[] }[] = [];
    const outputs: { name: string; dtype: DType }[] = [];
    const data = cases.map((cs, i) => {
      const cg = cs.c / cs.group;
      const x = pm1(r, n * cs.h * cs.w * cs.c);
      const w = pm1(r, cs.m * cg * cs.k[0] * cs.k[1]);
      const xShape = [n, cs.c, cs.h, cs.w];
      inputs.push({ name: `x${i}`, dtype: 'float32', shape: xShape });
      feeds[`x${i}`] = tensor('float32', xShape, toNchw(x, [n, cs.h, cs.w, cs.c]));
      initializers[`w${i}`] = tensor('float32', [cs.m, cg, ...cs.k], w);
      const conv = { strides: [cs.s, cs.s], dilations: [cs.dil, cs.dil], group: cs.group, kernel_shape: cs.k };
      if (cs.pv === 0) {
        nodes.push({ op: 'Conv', inputs: [`x${i}`, `w${i}`], outputs: [`y${i}`], attrs: { ...conv, pads: cs.pads } });
      } else {
        const [t, l, b, rt] = cs.pads;
        initializers[`pads${i}`] = tensor('int64', [8], [0, 0, t, l, 0, 0, b, rt]);
        initializers[`pv${i}`] = tensor('float32', [], [cs.pv]);
        nodes.push({ op: 'Pad', inputs: [`x${i}`, `pads${i}`, `pv${i}`], outputs: [`xp${i}`], attrs: { mode: 'constant' } });
        nodes.push({ op: 'Conv', inputs: [`xp${i}`, `w${i}`], outputs: [`y${i}`], attrs: conv });
      }
      outputs.push({ name: `y${i}`, dtype: 'float32' });
      return { x, w };
    });
    const expected = await runOrt(buildModel({ inputs, outputs, nodes, initializers, opset: 13 }), feeds);
    cases.forEach((cs, i) => {
      const cg = cs.c / cs.group;
      const xp = packBits(data[i].x, [n, cs.h, cs.w, cs.c]);
      const wp = packWeights(data[i].w, cs.m, cg, cs.k[0], cs.k[1]);
      const y = run('XnorConv', {
        channels: cs.c, group: cs.group, kernel_shape: cs.k, strides: [cs.s, cs.s], pads: cs.pads,
        dilations: [cs.dil, cs.dil], pad_value: cs.pv,
      }, [xp, wp]);
      const e = expected[`y${i}`];
      const [, m, oh, ow] = e.shape;
      expect([...y.shape]).toEqual([n, oh, ow, m]);
      expectSame(y.data, toNhwc(e.data, [...e.shape]), `case ${i} ${JSON.stringify(cs)}`);
    });
    expect(cases.length).toBeGreaterThan(250);
  });

  it('takes its defaults (group 1, stride 1, no pads, pad_value 0) when attributes are absent', () => {
    // 1×1 dense layer, C = 3, M = 2: x = [+1, −1, −1]; w0 = [+1, −1, +1] → 1 + 1 − 1 = 1; w1 = [−1, −1, −1] → −1 + 1 + 1 = 1
    const y = run('XnorConv', { channels: 3 }, [packBits([1, -1, -1], [1, 1, 1, 3]), packWeights([1, -1, 1, -1, -1, -1], 2, 3, 1, 1)]);
    expect(y.shape).toEqual([1, 1, 1, 2]);
    expect(Array.from(y.data)).toEqual([1, 1]);
  });

  it('ignores stray tail bits in the activations', () => {
    const x = packBits([1, -1, -1], [1, 1, 1, 3]);
    x.data[0] |= 0xf0;
    const y = run('XnorConv', { channels: 3 }, [x, packWeights([1, -1, 1, -1, -1, -1], 2, 3, 1, 1)]);
    expect(Array.from(y.data)).toEqual([1, 1]);
  });
});

describe('XnorConv errors', () => {
  const ctx = (attrs: Record<string, AttrValue>) => ctxFor('XnorConv', attrs, 2);
  const x = { dtype: 'int32' as const, shape: [1, 4, 4, 2] };
  it('rejects weight words that do not match the channels per group (BNNC_E009)', () => {
    expect(errorCode(() => op('XnorConv').infer(ctx({ channels: 33 }), [x, { dtype: 'int32', shape: [4, 3, 3, 1] }], []))).toBe('BNNC_E009');
    // 64 channels in 2 groups: 32 per group need 1 word, not 2
    expect(errorCode(() => op('XnorConv').infer(ctx({ channels: 64, group: 2 }), [x, { dtype: 'int32', shape: [4, 3, 3, 2] }], []))).toBe('BNNC_E009');
  });
  it('rejects input words that do not match channels (BNNC_E009), wrong dtypes (BNNC_E010), bad pad_value (BNNC_E017)', () => {
    const w = { dtype: 'int32' as const, shape: [4, 3, 3, 1] };
    expect(errorCode(() => op('XnorConv').infer(ctx({ channels: 32 }), [x, w], []))).toBe('BNNC_E009');
    expect(errorCode(() => op('XnorConv').infer(ctx({ channels: 64 }), [{ dtype: 'float32', shape: [1, 4, 4, 2] }, { ...w, shape: [4, 3, 3, 2] }], []))).toBe('BNNC_E010');
    expect(errorCode(() => op('XnorConv').infer(ctx({ channels: 64, pad_value: 2 }), [x, { ...w, shape: [4, 3, 3, 2] }], []))).toBe('BNNC_E017');
    expect(errorCode(() => op('XnorConv').infer(ctx({ channels: 64, group: 3 }), [x, { ...w, shape: [4, 3, 3, 2] }], []))).toBe('BNNC_E009');
  });
  it('rejects constant weights with bits set beyond the channels (BNNC_E011)', () => {
    const w = tensor('int32', [1, 1, 1, 1], [0b1000]);
    expect(errorCode(() => op('XnorConv').infer(ctx({ channels: 3 }), [{ dtype: 'int32', shape: [1, 1, 1, 1] }, w], [undefined, w]))).toBe('BNNC_E011');
  });
});

// ---------------------------------------------------------------------------------------------------------
// IntConv vs ONNX Conv on the float values x − zero_point

interface IntCase { dtype: DType; zp: number; lo: number; hi: number; layout: 'NCHW' | 'NHWC'; c: number; m: number; group: number; k: number; s: number; pads: number[]; dil: number; wlo: number; whi: number }

describe('IntConv against onnxruntime Conv on x − zero_point', () => {
  it('matches over input types, zero points, layouts and window shapes', async () => {
    const r = rng(21);
    const n = 2, h = 9, w = 8;
    const cases: IntCase[] = [];
    const types: [DType, number, number, number][] = [['uint8', 128, 0, 255], ['uint8', 0, 0, 255], ['int8', 0, -128, 127], ['int8', -3, -128, 127], ['int16', 100, -2000, 2000]];
    for (const [dtype, zp, lo, hi] of types) {
      for (const layout of ['NCHW', 'NHWC'] as const) {
        for (const [c, m, group] of [[1, 4, 1], [3, 5, 1], [4, 6, 2], [3, 3, 3]]) {
          for (const [k, s, p, dil] of [[3, 1, 'p1', 1], [5, 2, 'asym', 1], [1, 1, 'p0', 1], [3, 2, 'asym2', 2]] as const) {
            const [wlo, whi] = c === 3 && m === 5 ? [-3, 3] : [-1, 1];
            cases.push({ dtype, zp, lo, hi, layout, c, m, group, k, s, pads: PADS[p], dil, wlo, whi });
          }
        }
      }
    }
    const nodes: NodeIn[] = [], initializers: Record<string, Tensor> = {}, feeds: Record<string, Tensor> = {};
    const inputs: { name: string; dtype: DType; shape: number[] }[] = [], outputs: { name: string; dtype: DType }[] = [];
    const data = cases.map((cs, i) => {
      const cg = cs.c / cs.group;
      const x = randomTensor(r, cs.dtype, cs.layout === 'NCHW' ? [n, cs.c, h, w] : [n, h, w, cs.c], cs.lo, cs.hi);
      // ±1 weights (no zeros) unless the case asks for general small integers
      const wv = cs.wlo === -1 ? pm1(r, cs.m * cg * cs.k * cs.k) : Array.from(randomTensor(r, 'int8', [cs.m * cg * cs.k * cs.k], cs.wlo, cs.whi).data);
      const xf = Array.from(x.data, (v) => v - cs.zp);
      inputs.push({ name: `x${i}`, dtype: 'float32', shape: [n, cs.c, h, w] });
      feeds[`x${i}`] = tensor('float32', [n, cs.c, h, w], cs.layout === 'NCHW' ? xf : toNchw(xf, [n, h, w, cs.c]));
      initializers[`w${i}`] = tensor('float32', [cs.m, cg, cs.k, cs.k], wv);
      nodes.push({ op: 'Conv', inputs: [`x${i}`, `w${i}`], outputs: [`y${i}`], attrs: { strides: [cs.s, cs.s], dilations: [cs.dil, cs.dil], group: cs.group, pads: cs.pads, kernel_shape: [cs.k, cs.k] } });
      outputs.push({ name: `y${i}`, dtype: 'float32' });
      return { x, w: tensor('int8', [cs.m, cg, cs.k, cs.k], wv) };
    });
    const expected = await runOrt(buildModel({ inputs, outputs, nodes, initializers, opset: 13 }), feeds);
    cases.forEach((cs, i) => {
      const y = run('IntConv', {
        layout: cs.layout, zero_point: cs.zp, group: cs.group, kernel_shape: [cs.k, cs.k], strides: [cs.s, cs.s], pads: cs.pads, dilations: [cs.dil, cs.dil],
      }, [data[i].x, data[i].w]);
      const e = expected[`y${i}`];
      expect(y.dtype).toBe('int32');
      expectSame(y.data, toNhwc(e.data, [...e.shape]), `case ${i} ${JSON.stringify(cs)}`);
    });
  });

  it('refuses when int32 sums could overflow (BNNC_E031) and accepts the same layer on uint8', () => {
    const ctx = ctxFor('IntConv', { layout: 'NCHW' }, 2);
    const w = tensor('int8', [2, 3, 3, 3], new Array(54).fill(1));
    expect(errorCode(() => op('IntConv').infer(ctx, [{ dtype: 'int32', shape: [1, 3, 8, 8] }, w], [undefined, w]))).toBe('BNNC_E031');
    // int16, 64 channels, 5×5, |w| = 127 unknown at compile time: 128·1600·32768 > 2^31 − 1
    expect(errorCode(() => op('IntConv').infer(ctx, [{ dtype: 'int16', shape: [1, 64, 8, 8] }, { dtype: 'int8', shape: [2, 64, 5, 5] }], []))).toBe('BNNC_E031');
    expect(op('IntConv').infer(ctx, [{ dtype: 'uint8', shape: [1, 3, 8, 8] }, w], [undefined, w])[0]).toEqual({ dtype: 'int32', shape: [1, 6, 6, 2] });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Threshold: hand-derived vectors

describe('Threshold', () => {
  const T = (v: number[]) => tensor('int32', [v.length], v);
  const K = (v: number[]) => tensor('int8', [v.length], v);
  it('packs a ≥ T (kind 1), a ≤ T (kind −1) and the constant kinds, including a exactly at T', () => {
    // pixel 0 = [5, 5, 0], pixel 1 = [4, 6, −7]; T = [5, 5, 0]
    // ch0 kind 1:  5 ≥ 5 → +1 (bit 0);  4 < 5 → −1 (bit 1)
    // ch1 kind −1: 5 ≤ 5 → +1 (bit 0);  6 > 5 → −1 (bit 1)
    // ch2 kind 2: +1 (bit 0) → words [0b000, 0b011] = [0, 3];  kind −2: −1 (bit 1) → [0b100, 0b111] = [4, 7]
    const a = tensor('int32', [1, 1, 2, 3], [5, 5, 0, 4, 6, -7]);
    const y = run('Threshold', {}, [a, T([5, 5, 0]), K([1, -1, 2])]);
    expect(y.shape).toEqual([1, 1, 2, 1]);
    expect(Array.from(y.data)).toEqual([0, 3]);
    expect(Array.from(run('Threshold', {}, [a, T([5, 5, 0]), K([1, -1, -2])]).data)).toEqual([4, 7]);
  });
  it('reads NCHW input and still packs NHWC', () => {
    // the same values as above, channel-major: ch0 = [5, 4], ch1 = [5, 6], ch2 = [0, −7]
    const a = tensor('int32', [1, 3, 1, 2], [5, 4, 5, 6, 0, -7]);
    const y = run('Threshold', { layout: 'NCHW' }, [a, T([5, 5, 0]), K([1, -1, 2])]);
    expect(y.shape).toEqual([1, 1, 2, 1]);
    expect(Array.from(y.data)).toEqual([0, 3]);
  });
  it('thresholds raw uint8 input', () => {
    // [200, 17]: with T = [128, 17], 200 ≥ 128 and 17 ≥ 17 → both +1 → 0; with T = [201, 18] both −1 → 0b11 = 3
    const a = tensor('uint8', [1, 1, 1, 2], [200, 17]);
    expect(Array.from(run('Threshold', {}, [a, T([128, 17]), K([1, 1])]).data)).toEqual([0]);
    expect(Array.from(run('Threshold', {}, [a, T([201, 18]), K([1, 1])]).data)).toEqual([3]);
  });
  it('packs 33 channels into 2 words with zero tail bits', () => {
    // a = −1 on channels 0 and 32, +1 elsewhere; kind 1, T = 0 → bits 0 and 32 → words [1, 1]
    const v = Array.from({ length: 33 }, (_, c) => (c === 0 || c === 32 ? -1 : 1));
    const y = run('Threshold', {}, [tensor('int8', [1, 1, 1, 33], v), T(new Array(33).fill(0)), K(new Array(33).fill(1))]);
    expect(y.shape).toEqual([1, 1, 1, 2]);
    expect(Array.from(y.data)).toEqual([1, 1]);
  });
  it('rejects a bad kind (BNNC_E017) and mis-sized thresholds (BNNC_E009)', () => {
    const a = tensor('int32', [1, 1, 1, 2], [0, 0]);
    expect(errorCode(() => run('Threshold', {}, [a, T([0, 0]), K([1, 0])]))).toBe('BNNC_E017');
    expect(errorCode(() => run('Threshold', {}, [a, T([0]), K([1, 1])]))).toBe('BNNC_E009');
  });
});

// ---------------------------------------------------------------------------------------------------------
// BinaryMaxPool and AccPool vs ONNX MaxPool

interface PoolCase { c: number; k: number; s: number; pads: number[]; ceil: number; dil: number }

function poolGrid(channels: readonly number[]): PoolCase[] {
  const cases: PoolCase[] = [];
  for (const c of channels) {
    for (const k of [2, 3]) {
      for (const s of [1, 2]) {
        for (const pads of [[0, 0, 0, 0], [1, 1, 1, 1], [0, 1, 1, 0]]) {
          for (const ceil of [0, 1]) cases.push({ c, k, s, pads, ceil, dil: 1 });
        }
      }
    }
    cases.push({ c, k: 2, s: 2, pads: [1, 0, 0, 1], ceil: 1, dil: 2 }, { c, k: 3, s: 1, pads: [1, 1, 1, 1], ceil: 0, dil: 2 });
  }
  return cases;
}

/** Runs MaxPool (and −MaxPool(−x)) per case in one onnxruntime model; returns NHWC results per case. */
async function ortPools(cases: PoolCase[], xs: number[][], n: number, h: number, w: number, withMin: boolean): Promise<{ max: number[]; min: number[] }[]> {
  const nodes: NodeIn[] = [], feeds: Record<string, Tensor> = {};
  const inputs: { name: string; dtype: DType; shape: number[] }[] = [], outputs: { name: string; dtype: DType }[] = [];
  cases.forEach((cs, i) => {
    const attrs = { kernel_shape: [cs.k, cs.k], strides: [cs.s, cs.s], pads: cs.pads, ceil_mode: cs.ceil, dilations: [cs.dil, cs.dil] };
    inputs.push({ name: `x${i}`, dtype: 'float32', shape: [n, cs.c, h, w] });
    feeds[`x${i}`] = tensor('float32', [n, cs.c, h, w], toNchw(xs[i], [n, h, w, cs.c]));
    nodes.push({ op: 'MaxPool', inputs: [`x${i}`], outputs: [`max${i}`], attrs });
    outputs.push({ name: `max${i}`, dtype: 'float32' });
    if (withMin) {
      nodes.push({ op: 'Neg', inputs: [`x${i}`], outputs: [`nx${i}`] }, { op: 'MaxPool', inputs: [`nx${i}`], outputs: [`nmin${i}`], attrs },
        { op: 'Neg', inputs: [`nmin${i}`], outputs: [`min${i}`] });
      outputs.push({ name: `min${i}`, dtype: 'float32' });
    }
  });
  const out = await runOrt(buildModel({ inputs, outputs, nodes, opset: 13 }), feeds);
  return cases.map((_, i) => ({
    max: toNhwc(out[`max${i}`].data, [...out[`max${i}`].shape]),
    min: withMin ? toNhwc(out[`min${i}`].data, [...out[`min${i}`].shape]) : [],
  }));
}

describe('BinaryMaxPool against onnxruntime MaxPool on ±1 floats', () => {
  it('matches over channels, kernels, strides, pads, ceil_mode and dilations', async () => {
    const r = rng(31);
    const n = 2, h = 7, w = 6;
    const cases = poolGrid([1, 31, 32, 33, 65]);
    // bias towards −1 so that all-(−1) windows (output −1) are common
    const xs = cases.map((cs) => Array.from({ length: n * h * w * cs.c }, () => (r() < 0.75 ? -1 : 1)));
    const expected = await ortPools(cases, xs, n, h, w, false);
    cases.forEach((cs, i) => {
      const y = run('BinaryMaxPool', {
        channels: cs.c, kernel_shape: [cs.k, cs.k], strides: [cs.s, cs.s], pads: cs.pads, ceil_mode: cs.ceil, dilations: [cs.dil, cs.dil],
      }, [packBits(xs[i], [n, h, w, cs.c])]);
      expectSame(unpackBits(y, cs.c), expected[i].max, `case ${i} ${JSON.stringify(cs)}`);
      const cw = Math.ceil(cs.c / 32);
      if (cs.c % 32) for (let p = cw - 1; p < y.data.length; p += cw) expect(y.data[p] >>> (cs.c % 32), 'tail bits').toBe(0);
    });
  });
  it('requires kernel_shape (BNNC_E006) and matching words (BNNC_E009)', () => {
    const ctx = (a: Record<string, AttrValue>) => ctxFor('BinaryMaxPool', a, 1);
    expect(errorCode(() => op('BinaryMaxPool').infer(ctx({ channels: 3 }), [{ dtype: 'int32', shape: [1, 4, 4, 1] }], []))).toBe('BNNC_E006');
    expect(errorCode(() => op('BinaryMaxPool').infer(ctx({ channels: 33, kernel_shape: [2, 2] }), [{ dtype: 'int32', shape: [1, 4, 4, 1] }], []))).toBe('BNNC_E009');
  });
});

describe('AccPool against onnxruntime MaxPool (max) and −MaxPool(−x) (min)', () => {
  it('pools each channel in its direction', async () => {
    const r = rng(41);
    const n = 2, h = 7, w = 6;
    const cases = poolGrid([1, 5, 33]);
    const xs = cases.map((cs) => Array.from(randomTensor(r, 'int32', [n * h * w * cs.c], -60, 60).data));
    const ds = cases.map((cs) => pm1(r, cs.c));
    const expected = await ortPools(cases, xs, n, h, w, true);
    cases.forEach((cs, i) => {
      const y = run('AccPool', {
        kernel_shape: [cs.k, cs.k], strides: [cs.s, cs.s], pads: cs.pads, ceil_mode: cs.ceil, dilations: [cs.dil, cs.dil],
      }, [tensor('int32', [n, h, w, cs.c], xs[i]), tensor('int8', [cs.c], ds[i])]);
      const want = expected[i].max.map((v, j) => (ds[i][j % cs.c] === 1 ? v : expected[i].min[j]));
      expectSame(y.data, want, `case ${i} ${JSON.stringify(cs)}`);
    });
  });
  it('rejects directions other than ±1 (BNNC_E017)', () => {
    expect(errorCode(() => run('AccPool', { kernel_shape: [2, 2] }, [tensor('int32', [1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]), tensor('int8', [2], [1, 0])]))).toBe('BNNC_E017');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Epilogue: two float32 roundings

describe('Epilogue', () => {
  it('rounds a·scale to float32, then adds bias and rounds again (never fused)', () => {
    // a = 3, scale = fl(1/3) = 0.3333333432674408: a·scale = 1.0000000298023224 exactly; float32 spacing at 1 is
    // 2^−23 ≈ 1.19e−7, so fl(a·scale) = 1 and fl(1 + (−1)) = 0. A fused a·scale + bias rounds once: 2^−25.
    const scale = Math.fround(1 / 3);
    const exact = 3 * scale - 1;
    expect(exact).toBe(2 ** -25);
    expect(Math.fround(exact)).not.toBe(0);
    const y = run('Epilogue', { layout: 'NHWC' }, [tensor('int32', [1, 1, 1, 1], [3]), tensor('float32', [1], [scale]), tensor('float32', [1], [-1])]);
    expect(Array.from(y.data)).toEqual([0]);
  });
  it('matches Math.fround(Math.fround(a·s) + b) on random sums, in each output layout', () => {
    const r = rng(51);
    const [n, h, w, c] = [2, 3, 2, 5];
    const a = randomTensor(r, 'int32', [n, h, w, c], -5000, 5000);
    const s = randomTensor(r, 'float32', [c], -0.05, 0.05), b = randomTensor(r, 'float32', [c], -3, 3);
    const f = (i: number) => Math.fround(Math.fround(a.data[i] * s.data[i % c]) + b.data[i % c]);
    const nhwc = Array.from({ length: a.data.length }, (_, i) => f(i));
    const y1 = run('Epilogue', { layout: 'NHWC' }, [a, s, b]);
    expect(y1.shape).toEqual([n, h, w, c]);
    expectSame(y1.data, nhwc, 'NHWC');
    const y2 = run('Epilogue', {}, [a, s, b]);
    expect(y2.shape).toEqual([n, c, h, w]);
    expectSame(y2.data, toNchw(nhwc, [n, h, w, c]), 'NCHW');
  });
  it('gives [N, C] for rank 2 from a 1×1 input, and refuses a larger one (BNNC_E009)', () => {
    // a = [[2, −1]], scale = [0.5, 4], bias = [1, 0.25]: [2·0.5 + 1, −4 + 0.25] = [2, −3.75]
    const y = run('Epilogue', { rank: 2 }, [tensor('int32', [1, 1, 1, 2], [2, -1]), tensor('float32', [2], [0.5, 4]), tensor('float32', [2], [1, 0.25])]);
    expect(y.shape).toEqual([1, 2]);
    expect(Array.from(y.data)).toEqual([2, -3.75]);
    expect(errorCode(() => run('Epilogue', { rank: 2 }, [tensor('int32', [1, 2, 1, 1], [0, 0]), tensor('float32', [1], [1]), tensor('float32', [1], [0])]))).toBe('BNNC_E009');
  });
});

// ---------------------------------------------------------------------------------------------------------
// MultiThreshold and Dequantize (k-bit activations): hand-derived vectors

describe('MultiThreshold', () => {
  const T = (rows: number[][]) => tensor('int32', [rows.length, rows[0].length], rows.flat());
  const D = (v: number[]) => tensor('int8', [v.length], v);
  it('counts a ≥ T on increasing channels, a ≤ T on decreasing ones, from qmin', () => {
    // channel 0 increasing, thresholds [−2, 0, 3]; channel 1 decreasing, [5, 1, −4]
    const a = tensor('int32', [1, 1, 5, 2], [-3, -5, -2, 1, 0, 2, 3, 5, 9, 6]);
    const y = run('MultiThreshold', { qmin: -2, out_dtype: 'int8' }, [a, T([[-2, 0, 3], [5, 1, -4]]), D([1, -1])]);
    expect(y.dtype).toBe('int8');
    // ch 0: −3 → 0, −2 → 1, 0 → 2, 3 → 3, 9 → 3; ch 1: −5 → 3, 1 → 2, 2 → 1, 5 → 1, 6 → 0 (then −2)
    expect(Array.from(y.data)).toEqual([-2, 1, -1, 0, 0, -1, 1, -1, 1, -2]);
  });
  it('uint8 levels; thresholds outside the reach make constant channels', () => {
    const a = tensor('int32', [1, 2, 1, 1], [-7, 7]);
    expect(Array.from(run('MultiThreshold', {}, [a, T([[-8, 100]]), D([1])]).data)).toEqual([1, 1]);
  });
  it('refuses bad directions, shapes and levels that do not fit the type', () => {
    const a = tensor('int32', [1, 1, 1, 2], [0, 0]);
    expect(errorCode(() => run('MultiThreshold', {}, [a, T([[0], [0]]), D([1, 0])]))).toBe('BNNC_E017');
    expect(errorCode(() => run('MultiThreshold', {}, [a, T([[0]]), D([1, 1])]))).toBe('BNNC_E009');
    expect(errorCode(() => run('MultiThreshold', { qmin: 250 }, [a, T([[0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5]]), D([1, 1])]))).toBe('BNNC_E017');
    expect(errorCode(() => run('MultiThreshold', { out_dtype: 'int16' }, [a, T([[0], [0]]), D([1, 1])]))).toBe('BNNC_E017');
  });
});

describe('Dequantize', () => {
  it('looks each level up in the table and writes NCHW', () => {
    const x = tensor('int8', [1, 1, 2, 3], [-1, 0, 1, 1, -1, 0]);
    const y = run('Dequantize', { qmin: -1 }, [x, tensor('float32', [3], [-0.5, 0, 0.25])]);
    expect([...y.shape]).toEqual([1, 3, 1, 2]);
    expect(Array.from(y.data)).toEqual([-0.5, 0.25, 0, -0.5, 0.25, 0]);
  });
  it('refuses a table that does not fit the type', () => {
    expect(errorCode(() => run('Dequantize', { qmin: 200 }, [tensor('uint8', [1, 1, 1, 1], [200]), tensor('float32', [60], new Array(60).fill(0))]))).toBe('BNNC_E009');
  });
});
