// The kernels of bnnc's `ts` target: the reference evaluations of src/ops (bnnc/XnorConv.ts, IntConv.ts,
// Threshold.ts, BinaryMaxPool.ts, AccPool.ts, Epilogue.ts; ArgMax.ts, TopK.ts, softmax-util.ts) restated
// for batch 1 with the geometry precomputed by src/backend/ts-target.ts. The generator copies the functions
// a model calls, and what they reference, into the model module, which so runs without bnnc installed.
// Same arithmetic as the reference, operation for operation: integers exact, float32 by Math.fround.

/** A layer's window: input and output size, kernel, strides, dilations, leading pads (rows, columns). */
interface Win { h: number; w: number; oh: number; ow: number; kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number }

/** Number of 1 bits of the low 32 bits of x (as numeric/bits.ts). */
function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** The valid bits of the last word of a `channels`-channel row (−1 when all 32 are valid). */
function tailMask(channels: number): number {
  const r = channels & 31;
  return r === 0 ? -1 : (-1 >>> (32 - r)) | 0;
}

/**
 * Binary convolution of packed activations x [H, W, Cw] with packed weights w [M, KH, KW, Cgw], C input
 * channels in `group` groups; int32 sums [OH, OW, M]. Output m of group g over the taps t:
 *   y = Σ_{t inside} (Cg − 2·popcount(x_t XOR w_{m,t})) + pad·Σ_{t in the padding} (Cg − 2·popcount(w_{m,t}))
 */
export function xnorConv(x: Int32Array, w: Int32Array, g: Win, c: number, group: number, pad: number): Int32Array {
  const cw = (c + 31) >>> 5, cg = c / group, cgw = (cg + 31) >>> 5, nK = g.kh * g.kw;
  const m = w.length / (nK * cgw), mg = m / group, mask = tailMask(cg);
  // every pixel's group rows re-packed from bit 0, tails masked (numeric/bits.ts extractBits)
  const xs = new Int32Array(g.h * g.w * group * cgw);
  for (let q = 0; q < g.h * g.w; q++) {
    for (let gi = 0; gi < group; gi++) {
      const first = gi * cg, shift = first & 31, base = q * cw + (first >>> 5), dst = (q * group + gi) * cgw;
      for (let k = 0; k < cgw; k++) {
        let v = x[base + k] >>> shift;
        if (shift !== 0 && (k + 1) * 32 - shift < cg) v |= x[base + k + 1] << (32 - shift);
        xs[dst + k] = k === cgw - 1 ? v & mask : v;
      }
    }
  }
  const ws = Int32Array.from(w);
  for (let k = cgw - 1; k < ws.length; k += cgw) ws[k] &= mask;
  const wSum = new Int32Array(m * nK), wTotal = new Int32Array(m);
  for (let mt = 0; mt < m * nK; mt++) {
    let d = 0;
    for (let k = 0; k < cgw; k++) d += popcount32(ws[mt * cgw + k]);
    wSum[mt] = cg - 2 * d;
    wTotal[Math.floor(mt / nK)] += wSum[mt];
  }
  const y = new Int32Array(g.oh * g.ow * m);
  for (let oh = 0; oh < g.oh; oh++) {
    for (let ow = 0; ow < g.ow; ow++) {
      for (let mi = 0; mi < m; mi++) {
        const gi = (mi / mg) | 0;
        let d = 0, taps = 0, inside = 0;
        for (let kh = 0; kh < g.kh; kh++) {
          const ih = oh * g.sh - g.pt + kh * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          for (let kw = 0; kw < g.kw; kw++) {
            const iw = ow * g.sw - g.pl + kw * g.dw;
            if (iw < 0 || iw >= g.w) continue;
            const t = kh * g.kw + kw, xa = ((ih * g.w + iw) * group + gi) * cgw, wa = (mi * nK + t) * cgw;
            for (let k = 0; k < cgw; k++) d += popcount32(xs[xa + k] ^ ws[wa + k]);
            taps++;
            inside += wSum[mi * nK + t];
          }
        }
        y[(oh * g.ow + ow) * m + mi] = cg * taps - 2 * d + (pad !== 0 ? pad * (wTotal[mi] - inside) : 0);
      }
    }
  }
  return y;
}

/**
 * Integer convolution of raw input x (C channels, NCHW or NHWC) with int8 weights w [M, Cg, KH, KW]:
 *   y[oh, ow, m] = Σ_{j < Cg} Σ_{taps inside} (x[g·Cg + j, ih, iw] − zp) · w[m, j, kh, kw]      (NHWC out)
 */
export function intConv(x: ArrayLike<number>, w: Int8Array, g: Win, c: number, group: number, zp: number, nchw: boolean): Int32Array {
  const cg = c / group, nK = g.kh * g.kw, m = w.length / (cg * nK), mg = m / group;
  const sc = nchw ? g.h * g.w : 1, sy = nchw ? g.w : g.w * c, sx = nchw ? 1 : c;
  const y = new Int32Array(g.oh * g.ow * m);
  for (let oh = 0; oh < g.oh; oh++) {
    for (let ow = 0; ow < g.ow; ow++) {
      for (let mi = 0; mi < m; mi++) {
        const c0 = Math.floor(mi / mg) * cg;
        let acc = 0;
        for (let j = 0; j < cg; j++) {
          for (let kh = 0; kh < g.kh; kh++) {
            const ih = oh * g.sh - g.pt + kh * g.dh;
            if (ih < 0 || ih >= g.h) continue;
            for (let kw = 0; kw < g.kw; kw++) {
              const iw = ow * g.sw - g.pl + kw * g.dw;
              if (iw < 0 || iw >= g.w) continue;
              acc += (x[(c0 + j) * sc + ih * sy + iw * sx] - zp) * w[(mi * cg + j) * nK + kh * g.kw + kw];
            }
          }
        }
        y[(oh * g.ow + ow) * m + mi] = acc;
      }
    }
  }
  return y;
}

/** Compare and pack: kind 1 bit = a < T, kind −1 bit = a > T, kind 2 bit 0, kind −2 bit 1; [H, W, Cw] out. */
export function threshold(a: ArrayLike<number>, t: Int32Array, k: Int8Array, h: number, w: number, nchw: boolean): Int32Array {
  const c = t.length, cw = (c + 31) >>> 5;
  const sy = nchw ? w : w * c, sx = nchw ? 1 : c, sc = nchw ? h * w : 1;
  const y = new Int32Array(h * w * cw);
  for (let hi = 0; hi < h; hi++) {
    for (let wi = 0; wi < w; wi++) {
      const base = hi * sy + wi * sx, row = (hi * w + wi) * cw;
      for (let ci = 0; ci < c; ci++) {
        const v = a[base + ci * sc], kind = k[ci];
        const bit = (kind === 1 && v < t[ci]) || (kind === -1 && v > t[ci]) || kind === -2;
        if (bit) y[row + (ci >>> 5)] |= 1 << (ci & 31);
      }
    }
  }
  return y;
}

/** Max-pool of packed bits: the AND of the words of the taps inside the input. */
export function binaryMaxPool(x: Int32Array, g: Win, cw: number): Int32Array {
  const y = new Int32Array(g.oh * g.ow * cw);
  for (let oh = 0; oh < g.oh; oh++) {
    for (let ow = 0; ow < g.ow; ow++) {
      for (let k = 0; k < cw; k++) {
        let v = -1;
        for (let kh = 0; kh < g.kh; kh++) {
          const ih = oh * g.sh - g.pt + kh * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          for (let kw = 0; kw < g.kw; kw++) {
            const iw = ow * g.sw - g.pl + kw * g.dw;
            if (iw >= 0 && iw < g.w) v &= x[(ih * g.w + iw) * cw + k];
          }
        }
        y[(oh * g.ow + ow) * cw + k] = v;
      }
    }
  }
  return y;
}

/** Pooling of int32 sums: per channel the max (direction +1) or min (−1) of the taps inside the input. */
export function accPool(x: Int32Array, d: Int8Array, g: Win): Int32Array {
  const c = d.length;
  const y = new Int32Array(g.oh * g.ow * c);
  for (let oh = 0; oh < g.oh; oh++) {
    for (let ow = 0; ow < g.ow; ow++) {
      for (let ci = 0; ci < c; ci++) {
        const max = d[ci] === 1;
        let v = max ? -Infinity : Infinity;
        for (let kh = 0; kh < g.kh; kh++) {
          const ih = oh * g.sh - g.pt + kh * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          for (let kw = 0; kw < g.kw; kw++) {
            const iw = ow * g.sw - g.pl + kw * g.dw;
            if (iw < 0 || iw >= g.w) continue;
            const e = x[(ih * g.w + iw) * c + ci];
            v = max ? Math.max(v, e) : Math.min(v, e);
          }
        }
        y[(oh * g.ow + ow) * c + ci] = v;
      }
    }
  }
  return y;
}

/** y = fl32(fl32(fl32(a)·scale[c]) + bias[c]) over [P, C] sums, written NCHW ([C, P]) or NHWC. */
export function epilogue(a: Int32Array, scale: Float32Array, bias: Float32Array, nchw: boolean): Float32Array {
  const c = scale.length, hw = a.length / c;
  const y = new Float32Array(a.length);
  for (let p = 0; p < hw; p++) {
    for (let ci = 0; ci < c; ci++) {
      y[nchw ? ci * hw + p : p * c + ci] = Math.fround(Math.fround(Math.fround(a[p * c + ci]) * scale[ci]) + bias[ci]);
    }
  }
  return y;
}

/** a ranks above b: NaN above everything, else numeric order (as ArgMax and TopK). */
function above(a: number, b: number): boolean {
  return a > b || (a !== a && b === b);
}

/** Index of the largest value along an axis seen as [outer, n, inner] (the first, or the last with `last`). */
export function argMax(x: ArrayLike<number>, outer: number, n: number, inner: number, last: boolean): BigInt64Array {
  const out = new BigInt64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = 0;
      for (let j = 1; j < n; j++) {
        const v = x[base + j * inner], b = x[base + best * inner];
        if (last ? !above(b, v) : above(v, b)) best = j;
      }
      out[o * inner + i] = BigInt(best);
    }
  }
  return out;
}

/** The k largest (or smallest) values along an axis seen as [outer, n, inner], sorted, ties in index order. */
export function topK(x: Float32Array, outer: number, n: number, inner: number, k: number, largest: boolean): [Float32Array, BigInt64Array] {
  const values = new Float32Array(outer * k * inner), indices = new BigInt64Array(outer * k * inner);
  const order = new Array<number>(n);
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
        values[(o * k + j) * inner + i] = at(order[j]);
        indices[(o * k + j) * inner + i] = BigInt(order[j]);
      }
    }
  }
  return [values, indices];
}

/**
 * Softmax (or LogSoftmax with `log`) along an axis seen as [outer, n, inner], float32 rounded at every step:
 * m = max x_j, d_j = x_j − m, e_j = exp(d_j), s = e_0 + e_1 + … (left to right); y_j = e_j / s or d_j − log(s).
 * Bit-exact with the reference in the same JavaScript engine (Math.exp and Math.log are the engine's).
 */
export function softmax(x: Float32Array, outer: number, n: number, inner: number, log: boolean): Float32Array {
  const r = Math.fround;
  const y = new Float32Array(x.length), e = new Float64Array(n);
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

/** Standard base64 (with '=' padding; white space ignored) to bytes, without atob or Buffer. */
function b64(text: string): Uint8Array {
  const s = text.replace(/\s+/g, '');
  const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', v = new Uint8Array(128);
  for (let i = 0; i < 64; i++) v[digits.charCodeAt(i)] = i;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  for (let i = 0, o = 0; i < s.length; i += 4) {
    const q = (v[s.charCodeAt(i)] << 18) | (v[s.charCodeAt(i + 1)] << 12) | (v[s.charCodeAt(i + 2)] << 6) | v[s.charCodeAt(i + 3)];
    out[o++] = q >>> 16;
    if (o < out.length) out[o++] = (q >>> 8) & 255;
    if (o < out.length) out[o++] = q & 255;
  }
  return out;
}

/** Little-endian int32 words from base64, whatever the host's byte order. */
export function i32(s: string): Int32Array {
  const b = b64(s), view = new DataView(b.buffer);
  const out = new Int32Array(b.length >>> 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(4 * i, true);
  return out;
}

/** int8 values from base64. */
export function i8(s: string): Int8Array {
  return new Int8Array(b64(s).buffer);
}
