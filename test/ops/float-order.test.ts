// The float evals are fast (one kernel tap over all outputs at a time) but must keep the float32 order their
// headers state, bit for bit: here each header's order is written out as the plainest per-output loop and
// compared with the eval on data whose sums do round (magnitudes over 2^12, so another order differs).
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/ir/types.js';
import { buildModel, randomTensor, rng, runBnnc, type AttrIn } from '../helpers/onnx-build.js';
import { single } from './op-check.js';

const f = Math.fround;

/** Values of mixed sign and magnitudes 2^-6 … 2^6, so the order of a sum changes its float32 rounding. */
function spread(r: () => number, shape: number[]): Tensor {
  const t = randomTensor(r, 'float32', shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = f(t.data[i] * 2 ** Math.floor(r() * 13 - 6));
  return t;
}

interface ConvCase { x: number[]; w: number[]; bias?: boolean; strides?: number[]; dilations?: number[]; pads?: number[]; group?: number }

/** Conv.ts's stated order, per output: channels of the group, then row-major kernel taps inside the input. */
function convReference(x: Tensor, w: Tensor, b: Tensor | undefined, c: ConvCase, outSize: number[]): Float32Array {
  const r = x.shape.length - 2, [n, ch] = x.shape, [m, cg] = w.shape, group = c.group ?? 1;
  const inSize = x.shape.slice(2), kernel = w.shape.slice(2);
  const s = c.strides ?? Array(r).fill(1), d = c.dilations ?? Array(r).fill(1), pb = c.pads?.slice(0, r) ?? Array(r).fill(0);
  const prod = (a: number[]) => a.reduce((p, q) => p * q, 1);
  const unflat = (i: number, shape: number[]) => shape.map((_, k) => Math.floor(i / prod(shape.slice(k + 1))) % shape[k]);
  const y = new Float32Array(n * m * prod(outSize));
  for (let ni = 0; ni < n; ni++) for (let mi = 0; mi < m; mi++) for (let p = 0; p < prod(outSize); p++) {
    const o = unflat(p, outSize);
    let acc = 0;
    for (let ci = 0; ci < cg; ci++) {
      const cin = Math.floor(mi / (m / group)) * cg + ci;
      for (let t = 0; t < prod(kernel); t++) {
        const k = unflat(t, kernel);
        const at = o.map((oi, i) => oi * s[i] - pb[i] + k[i] * d[i]);
        if (at.some((a, i) => a < 0 || a >= inSize[i])) continue;
        const xi = (ni * ch + cin) * prod(inSize) + at.reduce((q, a, i) => q * inSize[i] + a, 0);
        acc = f(acc + f(x.data[xi] * w.data[(mi * cg + ci) * prod(kernel) + t]));
      }
    }
    y[(ni * m + mi) * prod(outSize) + p] = b ? f(acc + b.data[mi]) : acc;
  }
  return y;
}

function expectSameBits(got: Tensor, want: ArrayLike<number>) {
  expect(got.data.length).toBe(want.length);
  const bad = Array.from(got.data).findIndex((v, i) => !Object.is(v, want[i]));
  expect(bad, bad >= 0 ? `element ${bad}: ${got.data[bad]} vs ${want[bad]}` : '').toBe(-1);
}

describe('Conv eval keeps its stated float32 order', () => {
  const cases: ConvCase[] = [
    { x: [1, 3, 9, 8], w: [4, 3, 3, 3], bias: true, pads: [1, 1, 1, 1] },
    { x: [2, 4, 7, 9], w: [6, 2, 3, 2], group: 2, strides: [2, 3], pads: [2, 0, 1, 1] },
    { x: [1, 2, 10, 11], w: [3, 2, 3, 3], dilations: [2, 3], pads: [3, 1, 0, 2], bias: true },
    { x: [1, 5, 13], w: [2, 5, 4], strides: [3], pads: [2, 3] },
    { x: [1, 2, 5, 4, 6], w: [3, 2, 2, 3, 2], pads: [1, 0, 1, 0, 2, 1], strides: [1, 2, 2], bias: true },
    { x: [1, 32, 14, 14], w: [8, 32, 3, 3], pads: [1, 1, 1, 1], bias: true },
  ];
  cases.forEach((c, i) => it(`x${JSON.stringify(c.x)} w${JSON.stringify(c.w)}`, () => {
    const r = rng(100 + i);
    const x = spread(r, c.x), w = spread(r, c.w), b = c.bias ? spread(r, [c.w[0]]) : undefined;
    const attrs: Record<string, AttrIn> = {};
    for (const k of ['strides', 'dilations', 'pads', 'group'] as const) if (c[k] !== undefined) attrs[k] = c[k]!;
    const y = runBnnc(buildModel(single('Conv', { x }, { y: 'float32' }, { attrs, initializers: b ? { w, b } : { w } })), { x }).y;
    expectSameBits(y, convReference(x, w, b, c, y.shape.slice(2)));
  }));
});

describe('BatchNormalization eval keeps its stated float32 order', () => {
  it('x[2,5,3,4], per channel', () => {
    const r = rng(7);
    const x = spread(r, [2, 5, 3, 4]), s = spread(r, [5]), b = spread(r, [5]), m = spread(r, [5]);
    const v = randomTensor(r, 'float32', [5], 0.1, 4);
    const y = runBnnc(buildModel(single('BatchNormalization', { x }, { y: 'float32' }, { initializers: { s, b, m, v } })), { x }).y;
    const eps = f(1e-5);
    expectSameBits(y, Array.from(x.data, (xe, e) => {
      const j = Math.floor(e / 12) % 5;
      return f(f(f(s.data[j] * f(xe - m.data[j])) / f(Math.sqrt(f(v.data[j] + eps)))) + b.data[j]);
    }));
  });
});

describe('Gemm and MatMul evals keep their stated order', () => {
  it('Gemm A[5,37]ᵀ·B[9,37]ᵀ, alpha 0.7, beta 1.3, C[9]', () => {
    const r = rng(11);
    const a = spread(r, [37, 5]), b = spread(r, [9, 37]), c = spread(r, [9]);
    const attrs = { transA: 1, transB: 1, alpha: { float: 0.7 }, beta: { float: 1.3 } };
    const y = runBnnc(buildModel(single('Gemm', { a }, { y: 'float32' }, { attrs, initializers: { b, c } })), { a }).y;
    const want = [], al = f(0.7), be = f(1.3);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 9; j++) {
      let acc = 0;
      for (let l = 0; l < 37; l++) acc = f(acc + f(a.data[l * 5 + i] * b.data[j * 37 + l]));
      want.push(f(f(al * acc) + f(be * c.data[j])));
    }
    expectSameBits(y, want);
  });

  it('MatMul [2,1,4,33]·[3,33,6] (batch broadcast), float32 and int32 (wrapping)', () => {
    for (const dtype of ['float32', 'int32'] as const) {
      const r = rng(12);
      const a = dtype === 'float32' ? spread(r, [2, 1, 4, 33]) : randomTensor(r, 'int32', [2, 1, 4, 33], -(2 ** 31), 2 ** 31 - 1);
      const b = dtype === 'float32' ? spread(r, [3, 33, 6]) : randomTensor(r, 'int32', [3, 33, 6], -(2 ** 31), 2 ** 31 - 1);
      const y = runBnnc(buildModel(single('MatMul', { a }, { y: dtype }, { initializers: { b } })), { a }).y;
      const want = [];
      for (let p = 0; p < 2; p++) for (let q = 0; q < 3; q++) for (let i = 0; i < 4; i++) for (let j = 0; j < 6; j++) {
        let acc = 0;
        for (let l = 0; l < 33; l++) {
          const x = a.data[(p * 4 + i) * 33 + l], w = b.data[(q * 33 + l) * 6 + j];
          acc = dtype === 'float32' ? f(acc + f(x * w)) : (acc + Math.imul(x, w)) | 0;
        }
        want.push(acc);
      }
      expectSameBits(y, want);
    }
  });
});
