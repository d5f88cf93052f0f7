// Calibration math (src/numeric/calibrate.ts) against direct computations on the raw values: the
// histogram is order-independent (so are the scales), percentile lands within one bin of the sorted-array
// quantile, and the MSE search's bound is as good, on the raw values, as a brute-force search over them.
import { describe, expect, it } from 'vitest';
import { clipBound, HIST_BITS, Histogram, PERCENTILE } from '../../src/numeric/calibrate.js';
import { rng } from '../helpers/onnx-build.js';

/** ReLU-like data: a third exact zeros, the rest half-normal-ish with a long tail. */
function data(seed: number, n: number, signed = false): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => {
    const u = r();
    if (!signed && u < 0.33) return 0;
    const v = -Math.log(1 - r()) * (r() < 0.01 ? 6 : 1); // exponential, with 1 % from a wider one
    return signed && u < 0.5 ? -v : v;
  });
}

function mseOf(values: ArrayLike<number>, bound: number, qmax: number): number {
  const s = bound / qmax;
  let e = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    const d = a - s * Math.min(Math.round(a / s), qmax);
    e += d * d;
  }
  return e;
}

describe('calibration histogram and bounds', () => {
  it('depends on the values only: any order and any split give the same bins and bounds', () => {
    const v = data(1, 20000);
    const a = new Histogram();
    a.add(v);
    // reversed, in three shares of growing range merged in another order
    const parts = [v.slice(0, 50).reverse(), v.slice(50, 7000).reverse(), v.slice(7000).reverse()].map((p) => { const h = new Histogram(); h.add(p); return h; });
    const b = new Histogram();
    b.merge(parts[2]); b.merge(parts[0]); b.merge(parts[1]);
    expect(b.e).toBe(a.e);
    expect([b.zeros, b.count, b.min, b.max]).toEqual([a.zeros, a.count, a.min, a.max]);
    expect(Array.from(b.bins)).toEqual(Array.from(a.bins));
    for (const m of ['minmax', 'percentile', 'mse'] as const) expect(clipBound(b, m, 255)).toBe(clipBound(a, m, 255));
  });

  it('minmax is max |x|; percentile is the sorted-array quantile within one bin', () => {
    for (const signed of [false, true]) {
      const v = data(2, 30000, signed);
      const h = new Histogram();
      h.add(v);
      const abs = Float64Array.from(v, Math.abs).sort();
      expect(clipBound(h, 'minmax', 127)).toBe(abs[abs.length - 1]);
      const q = abs[Math.ceil(PERCENTILE * abs.length) - 1];
      const width = 2 ** (h.e - HIST_BITS);
      const p = clipBound(h, 'percentile', 127);
      expect(p).toBeGreaterThanOrEqual(q);
      expect(p - q).toBeLessThanOrEqual(width);
      expect(p).toBeLessThan(abs[abs.length - 1]);
      expect(signed ? h.min < 0 : h.min === 0).toBe(true);
    }
  });

  it('mse: the bound it picks is within 0.5 % of the best of 1024 bounds measured on the raw values', () => {
    for (const [signed, qmax] of [[false, 255], [true, 127]] as const) {
      const v = data(3, 20000, signed);
      const h = new Histogram();
      h.add(v);
      const max = h.absMax;
      let best = Infinity;
      for (let k = 1; k <= 1024; k++) best = Math.min(best, mseOf(v, (max * k) / 1024, qmax));
      const c = clipBound(h, 'mse', qmax);
      expect(mseOf(v, c, qmax)).toBeLessThanOrEqual(best * 1.005);
      // and it clips: the long tail is not worth the coarser step
      expect(c).toBeLessThan(max);
    }
  });

  it('all zeros give bound 0; a single value gives itself', () => {
    const z = new Histogram();
    z.add(new Float32Array(10));
    expect(clipBound(z, 'mse', 255)).toBe(0);
    const one = new Histogram();
    one.add([0.75]);
    expect(clipBound(one, 'minmax', 255)).toBe(0.75);
    expect(clipBound(one, 'percentile', 255)).toBe(0.75);
  });
});
