// exp32 / log32 (src/numeric/float32-math.ts): accuracy against float64 Math.exp / Math.log, special values,
// monotonicity, and bit-exactness of the C partial (templates/common/partials/float32-math.hbs) built with the
// host gcc over 100 000 inputs.
// Measured once over EVERY float32 input of the domain (a scratch script running `measure` below, ~15 min), error
// in ULPs of the float32 spacing at the true value:
//   exp32, x ∈ [−104, 88.7228317] (2 239 853 081 inputs): max 0.9903 ULP (x = 0x428cce63, 70.4031; 0.9820 on
//     the negative side, at x = −81.3948); 99.2% correctly rounded; monotone (non-decreasing) throughout.
//   log32, every positive finite float, subnormals included (2 139 095 039 inputs): max 0.8291 ULP (x = 0x3f3331ae,
//     0.699977); 99.4% correctly rounded; monotone throughout.
// Here a dense grid (every 128th float of both domains, 34 million inputs) re-measures them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { render } from '../../src/backend/emit.js';
import { loadTarget } from '../../src/backend/target.js';
import { cflags } from '../../src/backend/toolchain.js';
import { exp32, f32Bits, f32FromBits, log32 } from '../../src/numeric/float32-math.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';

const FLT_MAX = f32FromBits(0x7f7fffff);

/** The float32 spacing at the (float64) value t: 2^(e−23) for 2^e ≤ |t| < 2^(e+1), 2^−149 below 2^−126. */
function ulp32(t: number): number {
  const a = Math.abs(t);
  if (a < 2 ** -126) return 2 ** -149;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  return 2 ** (e - 23);
}

/** Max ULP error of f against the float64 ref over the floats with bits from..to (both ends, in steps). */
function measure(f: (x: number) => number, ref: (x: number) => number, from: number, to: number, step: number) {
  let max = 0, at = 0, exact = 0, n = 0, drops = 0, prev = -Infinity;
  const dir = from <= to ? step : -step;
  for (let b = from; dir > 0 ? b <= to : b >= to; b += dir) {
    const x = f32FromBits(b), y = f(x), t = ref(x);
    if (y < prev) drops++;
    prev = y;
    n++;
    if (y === Math.fround(t)) exact++;
    const e = Math.abs(y - t) / ulp32(t);
    if (e > max) { max = e; at = b; }
  }
  return { max, at, exact, n, drops };
}

describe('exp32 and log32 against float64', () => {
  it('exp32 is within 1 ULP and monotone on every 128th float of [−104, 88.72]', () => {
    // increasing x: negative floats from −104 up to −0 (bits falling), then +0 up to the last finite result
    const neg = measure(exp32, Math.exp, 0xc2d00000, 0x80000000, 128);
    const pos = measure(exp32, Math.exp, 0x00000000, 0x42b17217, 128);
    const max = Math.max(neg.max, pos.max);
    console.log(`exp32: ${neg.n + pos.n} inputs, max ${max.toFixed(4)} ULP, ${(((neg.exact + pos.exact) / (neg.n + pos.n)) * 100).toFixed(1)}% correctly rounded`);
    expect(max).toBeLessThan(1);
    expect(neg.drops + pos.drops).toBe(0);
    expect(exp32(-0) >= exp32(f32FromBits(0x80000080))).toBe(true);
  });

  it('log32 is within 1 ULP and monotone on every 128th positive float (subnormals included)', () => {
    const r = measure(log32, Math.log, 0x00000001, 0x7f7fffff, 128);
    console.log(`log32: ${r.n} inputs, max ${r.max.toFixed(4)} ULP, ${((r.exact / r.n) * 100).toFixed(1)}% correctly rounded`);
    expect(r.max).toBeLessThan(1);
    expect(r.drops).toBe(0);
  });

  it('is monotone on every float around the seams (k changes, the √½ split, 1, the subnormal edge)', () => {
    const seams = [
      ...[-3, -2, -1, 1, 2, 3].map((h) => f32Bits(h * Math.LN2 / 2)), // exp: k = round(x/ln2) steps
      f32Bits(-87.33654), f32Bits(-103.97208), f32Bits(88.3), // exp: 2^k from bits ↔ two products
    ];
    for (const s of seams) {
      const lo = s >= 0x80000000 ? s + 20000 : s - 20000, hi = s >= 0x80000000 ? Math.max(s - 20000, 0x80000000) : s + 20000;
      expect(measure(exp32, Math.exp, lo, hi, 1).drops, `exp32 near ${f32FromBits(s)}`).toBe(0);
    }
    for (const s of [0x3f3504f3, 0x3f800000, 0x00800000, 0x3f000000]) {
      expect(measure(log32, Math.log, s - 20000, s + 20000, 1).drops, `log32 near ${f32FromBits(s)}`).toBe(0);
    }
  });
});

describe('exp32 and log32: special values', () => {
  it('exp32', () => {
    expect(exp32(0)).toBe(1);
    expect(exp32(-0)).toBe(1);
    expect(exp32(1)).toBe(Math.fround(Math.E));
    expect(Object.is(exp32(-104.5), 0)).toBe(true); // below 2^−150: +0
    expect(Object.is(exp32(-Infinity), 0)).toBe(true);
    expect(Object.is(exp32(-FLT_MAX), 0)).toBe(true);
    expect(exp32(-103.9)).toBe(2 ** -149); // e^−103.9 = 1.07·2^−149: the smallest subnormal
    expect(Math.abs(exp32(-100) - Math.exp(-100))).toBeLessThanOrEqual(2 ** -149); // subnormal, one rounding
    expect(exp32(-87.5)).toBeLessThan(2 ** -126); // subnormal results are kept, not flushed
    expect(exp32(-87.5)).toBeGreaterThan(0);
    const last = f32FromBits(0x42b17217); // 88.7228317: e^x = 0.99999 FLT_MAX, finite
    expect(exp32(last)).toBeLessThanOrEqual(FLT_MAX);
    expect(Math.abs(exp32(last) - Math.exp(last)) / ulp32(Math.exp(last))).toBeLessThan(1);
    expect(exp32(f32FromBits(0x42b17218))).toBe(Infinity); // 88.7228394: e^x > FLT_MAX + ½ ULP
    expect(exp32(1000)).toBe(Infinity);
    expect(exp32(Infinity)).toBe(Infinity);
    expect(exp32(NaN)).toBeNaN();
  });

  it('log32', () => {
    expect(Object.is(log32(1), 0)).toBe(true);
    expect(log32(0)).toBe(-Infinity);
    expect(log32(-0)).toBe(-Infinity);
    expect(log32(-1)).toBeNaN();
    expect(log32(-Infinity)).toBeNaN();
    expect(log32(NaN)).toBeNaN();
    expect(log32(Infinity)).toBe(Infinity);
    expect(log32(2)).toBe(Math.fround(Math.LN2));
    for (const x of [2 ** -149, 3 * 2 ** -149, 2 ** -130, 2 ** -126, FLT_MAX, 10]) {
      expect(Math.abs(log32(x) - Math.log(x)) / ulp32(Math.log(x)), `log32(${x})`).toBeLessThan(1);
    }
  });
});

/** 100 000 float32 inputs: both domains, their edges, special values and random bit patterns. */
function cInputs(): Float32Array {
  const r = rng(20240611);
  const xs: number[] = [0, -0, Infinity, -Infinity, NaN, 1, -1, FLT_MAX, -FLT_MAX, 2 ** -149, 2 ** -126];
  for (const b of [0x42b17218, 0xc2d00000, 0xc2cff1b5, 0x3f3504f3, 0x3f800000, 0x00800000, 0xc2aeac50]) {
    for (let d = -500; d <= 500; d++) xs.push(f32FromBits(b + d));
  }
  while (xs.length < 30_000) xs.push(-110 + 205 * r()); // exp: underflow, subnormal, normal, overflow
  while (xs.length < 50_000) xs.push(100 * r()); // log: the sums a softmax takes, [1, n]
  while (xs.length < 60_000) xs.push(2 ** (-149 + 277 * r())); // log: every binade
  while (xs.length < 100_000) xs.push(f32FromBits(Math.floor(r() * 2 ** 32))); // any bits
  return Float32Array.from(xs);
}

describe('the C partial equals the TypeScript bit for bit', () => {
  const ok = hasTool('gcc');
  const builds: [string, string[]][] = [['-O2 (host target flags)', []], ['-O0', ['-O0']], ['-O2 -march=native', ['-march=native']]];
  it.skipIf(!ok).each(builds)('gcc %s: 100 000 inputs', (_, extra) => {
    const dir = mkdtempSync(join(tmpdir(), 'bnnc-f32math-'));
    try {
      const main = `#include <stdint.h>
#include <stdio.h>
${render('host', 'partials/float32-math.hbs', {})}
int main(int argc, char **argv)
{
    FILE *in, *out;
    float x, y[2];
    if (argc != 3 || !(in = fopen(argv[1], "rb")) || !(out = fopen(argv[2], "wb"))) return 2;
    while (fread(&x, sizeof x, 1, in) == 1) {
        y[0] = bnnc_exp32(x);
        y[1] = bnnc_log32(x);
        if (fwrite(y, sizeof y[0], 2, out) != 2) return 3;
    }
    return fclose(out) != 0;
}
`;
      writeFileSync(join(dir, 'm.c'), main);
      execFileSync('gcc', [...cflags(loadTarget('host')), ...extra, 'm.c', '-o', 'm'], { cwd: dir });
      const xs = cInputs();
      writeFileSync(join(dir, 'in.bin'), new Uint8Array(xs.buffer));
      execFileSync('./m', ['in.bin', 'out.bin'], { cwd: dir });
      const raw = readFileSync(join(dir, 'out.bin'));
      expect(raw.length).toBe(xs.length * 8);
      const c = new Uint32Array(new Uint8Array(raw).buffer);
      const ts = new Float32Array(xs.length * 2);
      xs.forEach((x, i) => { ts[2 * i] = exp32(x); ts[2 * i + 1] = log32(x); });
      const tb = new Uint32Array(ts.buffer);
      const bad: string[] = [];
      let nans = 0;
      for (let i = 0; i < tb.length; i++) {
        const tNaN = Number.isNaN(ts[i]), cNaN = ((c[i] >>> 23) & 0xff) === 0xff && (c[i] & 0x7fffff) !== 0;
        if (tNaN) nans++;
        // NaN bit patterns are not part of the contract: a NaN must meet a NaN, everything else its exact bits
        if (tNaN ? !cNaN : c[i] !== tb[i]) bad.push(`${i & 1 ? 'log' : 'exp'}32(${xs[i >> 1]}): ts ${tb[i].toString(16)} c ${c[i].toString(16)}`);
      }
      console.log(`float32-math C ${_}: ${xs.length} inputs × 2 functions, ${bad.length} differ (${nans} NaN results compared as NaN)`);
      expect(bad.slice(0, 10)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
