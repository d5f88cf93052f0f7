// The reference kernels: the arithmetic of the lowered ops and of the float tail (ArgMax, TopK, Softmax),
// on typed arrays with the geometry given as numbers. One definition serves twice: the ops' `eval`s call
// these functions, and the `ts` target (src/backend/ts-target.ts) copies them, with what they use from
// bits.ts and float32-math.ts, into the module it generates. So keep them standalone: plain loops over
// arrays, imports only from src/numeric/, no IR objects, no errors (the ops check their inputs first).
// Integers are exact, float32 is rounded by Math.fround at every step; layouts carry the batch first.
import { extractBits, popcount32, tailMask, wordsFor } from './bits.js';
import { exp32, log32 } from './float32-math.js';

/** A 2-D window: input and output size, kernel, strides, dilations, leading pads (rows, columns). */
export type Win = {
  readonly h: number; readonly w: number; readonly oh: number; readonly ow: number; readonly kh: number; readonly kw: number;
  readonly sh: number; readonly sw: number; readonly dh: number; readonly dw: number; readonly pt: number; readonly pl: number;
};

/** An empty typed array of the same type as x. */
function like<T extends ArrayLike<number>>(x: T, length: number): T {
  return new (x.constructor as new (length: number) => T)(length);
}

/**
 * The taps of window g that fall inside the input, per output position p = oh·OW + ow, as lists: for j in
 * start[p] … start[p+1] − 1, kernel tap tap[j] = kh·KW + kw reads input pixel off[j] = ih·W + iw, with
 * ih = oh·sh − pt + kh·dh and iw = ow·sw − pl + kw·dw. Taps in the padding are never read.
 */
export function insideTaps(g: Win): { start: Int32Array; tap: Int32Array; off: Int32Array } {
  const start = new Int32Array(g.oh * g.ow + 1), tap: number[] = [], off: number[] = [];
  for (let oh = 0; oh < g.oh; oh++) {
    for (let ow = 0; ow < g.ow; ow++) {
      for (let kh = 0; kh < g.kh; kh++) {
        const ih = oh * g.sh - g.pt + kh * g.dh;
        if (ih < 0 || ih >= g.h) continue;
        for (let kw = 0; kw < g.kw; kw++) {
          const iw = ow * g.sw - g.pl + kw * g.dw;
          if (iw < 0 || iw >= g.w) continue;
          tap.push(kh * g.kw + kw);
          off.push(ih * g.w + iw);
        }
      }
      start[oh * g.ow + ow + 1] = tap.length;
    }
  }
  return { start, tap: Int32Array.from(tap), off: Int32Array.from(off) };
}

/**
 * Binary convolution of packed activations x [N, H, W, Cw] (C channels in `group` groups) with packed
 * weights w [M, KH, KW, Cgw]; int32 sums [N, OH, OW, M]. Output m of group g over the kernel taps t:
 *   y = Σ_{t inside} (Cg − 2·popcount(x_t XOR w_{m,t})) + pad·Σ_{t in the padding} (Cg − 2·popcount(w_{m,t}))
 */
export function xnorConv(x: ArrayLike<number>, w: ArrayLike<number>, n: number, g: Win, c: number, group: number, pad: number): Int32Array {
  const cw = wordsFor(c), cg = c / group, cgw = wordsFor(cg), nK = g.kh * g.kw, inPlane = g.h * g.w;
  const m = w.length / (nK * cgw), mg = m / group;
  // every pixel's group rows re-packed from bit 0 ([N·H·W, group, Cgw], tails masked), so that each tap
  // is a run of whole words; for group 1 this is a masked copy
  const xs = new Int32Array(n * inPlane * group * cgw);
  for (let q = 0; q < n * inPlane; q++) {
    for (let gi = 0; gi < group; gi++) extractBits(x, q * cw, gi * cg, cg, xs, (q * group + gi) * cgw);
  }
  const ws = Int32Array.from(w), mask = tailMask(cg);
  for (let k = cgw - 1; k < ws.length; k += cgw) ws[k] &= mask;
  // Σ_j w_{m,t,j} per tap, and over all taps: a padding tap of value p adds p·Σ_j w_{m,t,j}
  const wSum = new Int32Array(m * nK), wTotal = new Int32Array(m);
  for (let mt = 0; mt < m * nK; mt++) {
    let d = 0;
    for (let k = 0; k < cgw; k++) d += popcount32(ws[mt * cgw + k]);
    wSum[mt] = cg - 2 * d;
    wTotal[Math.floor(mt / nK)] += wSum[mt];
  }
  const { start, tap, off } = insideTaps(g), outPlane = g.oh * g.ow;
  const y = new Int32Array(n * outPlane * m);
  for (let ni = 0; ni < n; ni++) {
    for (let p = 0; p < outPlane; p++) {
      const j0 = start[p], j1 = start[p + 1], base = (ni * outPlane + p) * m;
      for (let mi = 0; mi < m; mi++) {
        const gi = (mi / mg) | 0;
        // Σ over the taps inside of Cg − 2·popcount(x XOR w): count the differing bits d, then Cg·taps − 2d
        let d = 0, inside = 0;
        for (let j = j0; j < j1; j++) {
          const xa = ((ni * inPlane + off[j]) * group + gi) * cgw, wa = (mi * nK + tap[j]) * cgw;
          for (let k = 0; k < cgw; k++) d += popcount32(xs[xa + k] ^ ws[wa + k]);
          if (pad !== 0) inside += wSum[mi * nK + tap[j]];
        }
        y[base + mi] = cg * (j1 - j0) - 2 * d + (pad !== 0 ? pad * (wTotal[mi] - inside) : 0);
      }
    }
  }
  return y;
}

/**
 * Integer convolution of raw input x (C channels, NCHW or NHWC) with small integer weights w [M, Cg, KH, KW];
 * int32 sums [N, OH, OW, M]. A tap in the padding adds nothing (x is padded with the zero point):
 *   y[n, oh, ow, m] = Σ_{j < Cg} Σ_{taps inside} (x[n, g·Cg + j, ih, iw] − zp) · w[m, j, kh, kw]
 */
export function intConv(x: ArrayLike<number>, w: ArrayLike<number>, n: number, g: Win, c: number, group: number, zp: number, nchw: boolean): Int32Array {
  const cg = c / group, nK = g.kh * g.kw, m = w.length / (cg * nK), mg = m / group;
  const sn = c * g.h * g.w, sc = nchw ? g.h * g.w : 1, sy = nchw ? g.w : g.w * c, sx = nchw ? 1 : c;
  const { start, tap, off } = insideTaps(g), outPlane = g.oh * g.ow;
  // off[j] is flat over [H, W]: split it into row and column to address either layout
  const at = Int32Array.from(off, (o) => Math.floor(o / g.w) * sy + (o % g.w) * sx);
  const y = new Int32Array(n * outPlane * m);
  for (let ni = 0; ni < n; ni++) {
    for (let p = 0; p < outPlane; p++) {
      for (let mi = 0; mi < m; mi++) {
        const c0 = Math.floor(mi / mg) * cg;
        let acc = 0;
        for (let j = 0; j < cg; j++) {
          const xa = ni * sn + (c0 + j) * sc, wa = (mi * cg + j) * nK;
          for (let k = start[p]; k < start[p + 1]; k++) acc += (x[xa + at[k]] - zp) * w[wa + tap[k]];
        }
        y[(ni * outPlane + p) * m + mi] = acc;
      }
    }
  }
  return y;
}

/**
 * Compare and pack integers a (C = t.length channels, NHWC or NCHW) into words [N, H, W, Cw], channel c by
 * its kind: 1 bit = a < T, −1 bit = a > T, 2 bit 0, −2 bit 1 (bit 1 is −1, numeric/bits.ts).
 */
export function threshold(a: ArrayLike<number>, t: ArrayLike<number>, k: ArrayLike<number>, n: number, h: number, w: number, nchw: boolean): Int32Array {
  const c = t.length, cw = wordsFor(c);
  const sn = h * w * c, sy = nchw ? w : w * c, sx = nchw ? 1 : c, sc = nchw ? h * w : 1;
  const y = new Int32Array(n * h * w * cw);
  for (let ni = 0; ni < n; ni++) {
    for (let hi = 0; hi < h; hi++) {
      for (let wi = 0; wi < w; wi++) {
        const base = ni * sn + hi * sy + wi * sx, row = ((ni * h + hi) * w + wi) * cw;
        for (let ci = 0; ci < c; ci++) {
          const v = a[base + ci * sc], kind = k[ci];
          const bit = (kind === 1 && v < t[ci]) || (kind === -1 && v > t[ci]) || kind === -2;
          if (bit) y[row + (ci >>> 5)] |= 1 << (ci & 31);
        }
      }
    }
  }
  return y;
}

/** Max-pool of packed bits x [N, H, W, Cw]: the AND of the words of the taps inside the input. */
export function binaryMaxPool(x: ArrayLike<number>, n: number, g: Win, cw: number): Int32Array {
  const { start, off } = insideTaps(g), outPlane = g.oh * g.ow, inPlane = g.h * g.w;
  const y = new Int32Array(n * outPlane * cw);
  for (let ni = 0; ni < n; ni++) {
    for (let p = 0; p < outPlane; p++) {
      for (let k = 0; k < cw; k++) {
        let v = -1;
        for (let j = start[p]; j < start[p + 1]; j++) v &= x[(ni * inPlane + off[j]) * cw + k];
        y[(ni * outPlane + p) * cw + k] = v;
      }
    }
  }
  return y;
}

/** Pooling of int32 sums x [N, H, W, C]: per channel the max (direction +1) or min (−1) of the taps inside. */
export function accPool(x: ArrayLike<number>, d: ArrayLike<number>, n: number, g: Win): Int32Array {
  const c = d.length, { start, off } = insideTaps(g), outPlane = g.oh * g.ow, inPlane = g.h * g.w;
  const y = new Int32Array(n * outPlane * c);
  for (let ni = 0; ni < n; ni++) {
    for (let p = 0; p < outPlane; p++) {
      for (let ci = 0; ci < c; ci++) {
        const max = d[ci] === 1;
        let v = max ? -Infinity : Infinity;
        for (let j = start[p]; j < start[p + 1]; j++) {
          const e = x[(ni * inPlane + off[j]) * c + ci];
          v = max ? Math.max(v, e) : Math.min(v, e);
        }
        y[(ni * outPlane + p) * c + ci] = v;
      }
    }
  }
  return y;
}

/** y = fl32(fl32(fl32(a)·scale[c]) + bias[c]) over sums a [N, P, C], written [N, C, P] (nchw) or [N, P, C]. */
export function epilogue(a: ArrayLike<number>, scale: ArrayLike<number>, bias: ArrayLike<number>, n: number, nchw: boolean): Float32Array {
  const c = scale.length, hw = a.length / (n * c);
  const y = new Float32Array(a.length);
  for (let ni = 0; ni < n; ni++) {
    for (let p = 0; p < hw; p++) {
      for (let ci = 0; ci < c; ci++) {
        const v = Math.fround(Math.fround(Math.fround(a[(ni * hw + p) * c + ci]) * scale[ci]) + bias[ci]);
        y[nchw ? (ni * c + ci) * hw + p : (ni * hw + p) * c + ci] = v;
      }
    }
  }
  return y;
}

/**
 * Softmax32 (or LogSoftmax32 with `log`) along an axis seen as [outer, n, inner], with the portable exp32
 * and log32, one float32 operation per step: m = x_0, then m = x_j if x_j > m; s = +0, s = s + e_j with
 * e_j = exp32(x_j − m), left to right; y_j = e_j / s, or (x_j − m) − log32(s).
 */
export function softmax32(x: ArrayLike<number>, outer: number, n: number, inner: number, log: boolean): Float32Array {
  const y = new Float32Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let m = x[base];
      for (let j = 1; j < n; j++) if (x[base + j * inner] > m) m = x[base + j * inner];
      let s = 0;
      for (let j = 0; j < n; j++) {
        const e = exp32(Math.fround(x[base + j * inner] - m));
        if (!log) y[base + j * inner] = e;
        s = Math.fround(s + e);
      }
      const ls = log ? log32(s) : 0;
      for (let j = 0; j < n; j++) {
        const k = base + j * inner;
        y[k] = log ? Math.fround(Math.fround(x[k] - m) - ls) : Math.fround(y[k] / s);
      }
    }
  }
  return y;
}

/**
 * ONNX Softmax (or LogSoftmax with `log`) along an axis seen as [outer, n, inner], rounded to x's precision
 * at every step: m = max x_j, d_j = x_j − m, e_j = exp(d_j), s = e_0 + e_1 + … (left to right);
 * y_j = e_j / s or d_j − log(s). Math.exp and Math.log are the engine's: bit-exact within one engine.
 */
export function softmax<T extends Float32Array | Float64Array>(x: T, outer: number, n: number, inner: number, log: boolean): T {
  const r = x instanceof Float32Array ? Math.fround : (v: number) => v;
  const y = like(x, x.length), e = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let m = -Infinity;
      for (let j = 0; j < n; j++) if (x[base + j * inner] > m) m = x[base + j * inner];
      let s = 0;
      for (let j = 0; j < n; j++) {
        e[j] = r(Math.exp(r(x[base + j * inner] - m)));
        s = r(s + e[j]);
      }
      const ls = r(Math.log(s));
      for (let j = 0; j < n; j++) {
        const k = base + j * inner;
        y[k] = log ? r(r(x[k] - m) - ls) : r(e[j] / s);
      }
    }
  }
  return y;
}

/**
 * ONNX Sigmoid, y = 1 / (1 + exp(−x)), rounded to x's precision at every step; Math.exp is the engine's:
 * bit-exact within one engine.
 */
export function sigmoid<T extends Float32Array | Float64Array>(x: T): T {
  const r = x instanceof Float32Array ? Math.fround : (v: number) => v;
  const y = like(x, x.length);
  for (let i = 0; i < x.length; i++) y[i] = r(1 / r(1 + r(Math.exp(-x[i]))));
  return y;
}

/**
 * Sigmoid32 with the portable exp32 (bit-exact in C), never overflowing exp: x ≥ 0: y = 1 / (1 + exp32(−x));
 * otherwise (NaN too) e = exp32(x), y = e / (1 + e), which keeps the tiny values of very negative x.
 */
export function sigmoid32(x: ArrayLike<number>): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v >= 0) y[i] = Math.fround(1 / Math.fround(1 + exp32(-v)));
    else {
      const e = exp32(v);
      y[i] = Math.fround(e / Math.fround(1 + e));
    }
  }
  return y;
}

/** a ranks above b: NaN above everything, else numeric order (ArgMax and TopK). */
function above(a: number, b: number): boolean {
  return a > b || (a !== a && b === b);
}

/** Index of the largest value along an axis seen as [outer, n, inner]: the first, or the last with `last`. */
export function argMax(x: ArrayLike<number>, outer: number, n: number, inner: number, last: boolean): Int32Array {
  const out = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = 0;
      for (let j = 1; j < n; j++) {
        const v = x[base + j * inner], b = x[base + best * inner];
        if (last ? !above(b, v) : above(v, b)) best = j;
      }
      out[o * inner + i] = best;
    }
  }
  return out;
}

/**
 * The k largest (or smallest) values along an axis seen as [outer, n, inner], sorted, equal values in index
 * order, and their indices: [values (x's array type), indices], both [outer, k, inner].
 */
export function topK<T extends ArrayLike<number>>(x: T, outer: number, n: number, inner: number, k: number, largest: boolean): [T, Int32Array] {
  const values = like(x, outer * k * inner), indices = new Int32Array(outer * k * inner);
  const v = values as unknown as { [i: number]: number }, order = new Array<number>(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number): number => x[(o * n + j) * inner + i];
      for (let j = 0; j < n; j++) order[j] = j;
      order.sort((p, q) => {
        const a = at(p), b = at(q);
        if (above(a, b)) return largest ? -1 : 1;
        if (above(b, a)) return largest ? 1 : -1;
        return p - q;
      });
      for (let j = 0; j < k; j++) {
        v[(o * k + j) * inner + i] = at(order[j]);
        indices[(o * k + j) * inner + i] = order[j];
      }
    }
  }
  return [values, indices];
}

/**
 * Multi-threshold of int32 sums a [N, H, W, C] (NHWC) into k-bit levels, L = t.length / C thresholds per
 * channel ([C, L], row c): q = qmin + #{l : a ≥ t[c, l]} where d[c] = 1 (the chain increases), q = qmin +
 * #{l : a ≤ t[c, l]} where d[c] = −1. Out int8 (`signed`) or uint8, same layout.
 */
export function multiThreshold(a: ArrayLike<number>, t: ArrayLike<number>, d: ArrayLike<number>, qmin: number, signed: boolean): Int8Array | Uint8Array {
  const c = d.length, nl = t.length / c;
  const y = signed ? new Int8Array(a.length) : new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const ci = i % c, v = a[i], up = d[ci] === 1;
    let q = qmin;
    for (let l = 0; l < nl; l++) {
      const th = t[ci * nl + l];
      if (up ? v >= th : v <= th) q++;
    }
    y[i] = q;
  }
  return y;
}

/** k-bit levels x [N, P, C] to float32 by table, y = levels[x − qmin], written [N, C, P] (nchw) or [N, P, C]. */
export function dequantize(x: ArrayLike<number>, levels: ArrayLike<number>, qmin: number, n: number, c: number, nchw: boolean): Float32Array {
  const hw = x.length / (n * c);
  const y = new Float32Array(x.length);
  for (let ni = 0; ni < n; ni++) {
    for (let p = 0; p < hw; p++) {
      for (let ci = 0; ci < c; ci++) {
        y[nchw ? (ni * c + ci) * hw + p : (ni * hw + p) * c + ci] = levels[x[(ni * hw + p) * c + ci] - qmin];
      }
    }
  }
  return y;
}
