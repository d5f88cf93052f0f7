// Bit packing (src/numeric/bits.ts): literal words derived by hand, round trips on odd channel counts, and
// the popcount dot-product identity against plain loops.
import { describe, expect, it } from 'vitest';
import { dotPacked, extractBits, getBit, packBits, packWeights, popcount32, tailMask, unpackBits, wordsFor } from '../../src/numeric/bits.js';
import { rng } from '../helpers/onnx-build.js';

const pm1 = (r: () => number, n: number) => Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1));
const naivePopcount = (x: number) => { let n = 0; for (let i = 0; i < 32; i++) n += (x >>> i) & 1; return n; };

describe('bits: literal words', () => {
  it('packs [1,1,2,3] NHWC by hand', () => {
    // pixel 0 = [−1, +1, −1]: bits 0 and 2 → 0b101 = 5;  pixel 1 = [+1, −1, −1]: bits 1 and 2 → 0b110 = 6
    const t = packBits([-1, 1, -1, 1, -1, -1], [1, 1, 2, 3]);
    expect(t.dtype).toBe('int32');
    expect(t.shape).toEqual([1, 1, 2, 1]);
    expect(Array.from(t.data)).toEqual([5, 6]);
  });
  it('packs 33 channels into two words per pixel, LSB first', () => {
    // channels 0, 31 and 32 are −1: word 0 = 2^0 + 2^31 = 0x80000001 (int32 −2147483647), word 1 = 2^0 = 1
    const v = Array.from({ length: 33 }, (_, c) => (c === 0 || c === 31 || c === 32 ? -1 : 1));
    const t = packBits(v, [1, 1, 1, 33]);
    expect(t.shape).toEqual([1, 1, 1, 2]);
    expect(Array.from(t.data)).toEqual([-2147483647, 1]);
    expect((t.data[0] >>> 0).toString(16)).toBe('80000001');
  });
  it('packs zero (and −0) as +1 and any negative as −1', () => {
    // [0, −0, −0.5, 3, −7] → bits 2 and 4 → 0b10100 = 20
    expect(Array.from(packBits([0, -0, -0.5, 3, -7], [1, 1, 1, 5]).data)).toEqual([20]);
  });
  it('packs weights from ONNX [M, Cg, KH, KW] into [M, KH, KW, Cgw]', () => {
    // M = 1, Cg = 2, KH = 1, KW = 2: w[0,0,0,:] = [−1, +1], w[0,1,0,:] = [−1, −1]
    // tap (0,0): ch0 −1, ch1 −1 → 0b11 = 3;  tap (0,1): ch0 +1, ch1 −1 → 0b10 = 2
    const t = packWeights([-1, 1, -1, -1], 1, 2, 1, 2);
    expect(t.shape).toEqual([1, 1, 2, 1]);
    expect(Array.from(t.data)).toEqual([3, 2]);
  });
  it('words, tail masks and getBit', () => {
    expect([1, 31, 32, 33, 64, 65, 130].map(wordsFor)).toEqual([1, 1, 1, 2, 2, 3, 5]);
    expect([1, 3, 31, 32, 33].map(tailMask)).toEqual([1, 7, 0x7fffffff, -1, 1]);
    const w = [0x80000001 | 0, 2];
    expect([0, 1, 30, 31, 32, 33, 34].map((i) => getBit(w, i))).toEqual([1, 0, 0, 1, 0, 1, 0]);
  });
});

describe('bits: round trips', () => {
  for (const c of [1, 31, 32, 33, 130]) {
    it(`pack/unpack [2,3,2,${c}] restores the ±1 values with zero tail bits`, () => {
      const r = rng(c);
      const shape = [2, 3, 2, c];
      const v = pm1(r, 12 * c);
      const t = packBits(v, shape);
      expect(t.shape).toEqual([2, 3, 2, Math.ceil(c / 32)]);
      expect(Array.from(unpackBits(t, c))).toEqual(v);
      const cw = Math.ceil(c / 32);
      for (let p = 0; p < 12; p++) {
        const last = t.data[p * cw + cw - 1] >>> 0;
        expect(c % 32 === 0 ? 0 : last >>> (c % 32), `tail of pixel ${p}`).toBe(0);
        for (let j = 0; j < c; j++) expect(getBit(t.data.subarray(p * cw), j)).toBe(v[p * c + j] < 0 ? 1 : 0);
      }
    });
  }
  it('packWeights agrees with per-tap packBits of the transposed weights', () => {
    const r = rng(7);
    const [m, cg, kh, kw] = [3, 37, 2, 3];
    const w = pm1(r, m * cg * kh * kw);
    const t = packWeights(w, m, cg, kh, kw);
    // transpose [M, Cg, KH, KW] → [M, KH, KW, Cg] with plain index arithmetic, then pack as activations
    const tr: number[] = [];
    for (let a = 0; a < m; a++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let j = 0; j < cg; j++) tr.push(w[((a * cg + j) * kh + y) * kw + x]);
    expect(Array.from(t.data)).toEqual(Array.from(packBits(tr, [m, kh, kw, cg]).data));
  });
  it('extractBits takes any bit range into a fresh row', () => {
    const r = rng(9);
    const v = pm1(r, 130);
    const t = packBits(v, [1, 1, 1, 130]);
    const ranges: number[][] = [[0, 130]];
    for (let first = 0; first < 64; first++) for (let count = 1; first + count <= 130; count += 1 + (count >> 3)) ranges.push([first, count]);
    for (const [first, count] of ranges) {
      const out = new Int32Array(Math.ceil(count / 32) + 1).fill(-1);
      extractBits(t.data, 0, first, count, out, 1);
      expect(out[0]).toBe(-1);
      const got = Array.from(unpackBits({ dtype: 'int32', shape: [Math.ceil(count / 32)], data: out.subarray(1) }, count));
      if (got.join() !== v.slice(first, first + count).join()) expect(got, `bits ${first}..${first + count - 1}`).toEqual(v.slice(first, first + count));
      if (out[out.length - 1] & ~tailMask(count)) expect.fail(`tail bits set for ${first}, ${count}`);
    }
  });
});

describe('bits: popcount and the dot identity', () => {
  it('popcount32 matches a bit-by-bit count', () => {
    const r = rng(3);
    const xs = [0, 1, -1, 0x7fffffff, 0x80000000 | 0, 0x55555555, 0xaaaaaaaa | 0, 0x0f0f0f0f];
    for (let i = 0; i < 2000; i++) xs.push((r() * 2 ** 32) | 0);
    for (const x of xs) expect(popcount32(x)).toBe(naivePopcount(x));
  });
  it('dot(a, w) = n − 2·popcount(a XOR w) on random ±1 vectors', () => {
    const r = rng(4);
    for (const n of [1, 5, 31, 32, 33, 64, 100, 130, 257]) {
      for (let rep = 0; rep < 20; rep++) {
        const a = pm1(r, n), w = pm1(r, n);
        let plain = 0;
        for (let i = 0; i < n; i++) plain += a[i] * w[i];
        const pa = packBits(a, [n]).data, pw = packBits(w, [n]).data;
        let d = 0;
        for (let k = 0; k < pa.length; k++) d += popcount32(pa[k] ^ pw[k]);
        expect(n - 2 * d).toBe(plain);
        expect(dotPacked(pa, 0, pw, 0, n)).toBe(plain);
      }
    }
  });
});
