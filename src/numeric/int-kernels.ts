// The reference kernels of residual and pooled BNNs (#13): window sums of integers and of packed ±1 bits,
// the integer-only residual join (fixed point, ties to even) and channel concatenation. Same rules as
// kernels.ts (the ts target copies them too): plain loops over typed arrays, imports only from src/numeric/.
import { wordsFor } from './bits.js';
import { insideTaps, type Win } from './kernels.js';

/** A zeroed integer array of `bits` (8, 16 or 32) bits a value, unsigned for `bits` 8 with `unsigned`. */
function intArray(bits: number, length: number, unsigned = false): Uint8Array | Int8Array | Int16Array | Int32Array {
  if (bits === 8) return unsigned ? new Uint8Array(length) : new Int8Array(length);
  return bits === 16 ? new Int16Array(length) : new Int32Array(length);
}

/**
 * Sum-pool of integers x [N, H, W, C] (NHWC): y[n, oh, ow, c] = Σ x over the taps of the window inside the
 * input, written as `bits`-bit integers (the op checks no sum overflows them).
 */
export function sumPool(x: ArrayLike<number>, n: number, c: number, g: Win, bits: number): Uint8Array | Int8Array | Int16Array | Int32Array {
  const { start, off } = insideTaps(g), outPlane = g.oh * g.ow, inPlane = g.h * g.w;
  const y = intArray(bits, n * outPlane * c);
  for (let ni = 0; ni < n; ni++) {
    for (let p = 0; p < outPlane; p++) {
      for (let ci = 0; ci < c; ci++) {
        let s = 0;
        for (let j = start[p]; j < start[p + 1]; j++) s += x[(ni * inPlane + off[j]) * c + ci];
        y[(ni * outPlane + p) * c + ci] = s;
      }
    }
  }
  return y;
}

/**
 * Sum-pool of packed ±1 activations x [N, H, W, Cw] of c channels into integers [N, OH, OW, c] (NHWC):
 * y = Σ over the taps inside of (1 − 2·bit) = taps − 2·(number of −1 bits), as `bits`-bit integers.
 */
export function bitSumPool(x: ArrayLike<number>, n: number, c: number, g: Win, bits: number): Uint8Array | Int8Array | Int16Array | Int32Array {
  const { start, off } = insideTaps(g), outPlane = g.oh * g.ow, inPlane = g.h * g.w, cw = wordsFor(c);
  const y = intArray(bits, n * outPlane * c);
  for (let ni = 0; ni < n; ni++) {
    for (let p = 0; p < outPlane; p++) {
      for (let ci = 0; ci < c; ci++) {
        let minus = 0;
        for (let j = start[p]; j < start[p + 1]; j++) minus += (x[(ni * inPlane + off[j]) * cw + (ci >>> 5)] >>> (ci & 31)) & 1;
        y[(ni * outPlane + p) * c + ci] = start[p + 1] - start[p] - 2 * minus;
      }
    }
  }
  return y;
}

/**
 * Requantized sum of two integer tensors a, b [N, H, W, C] (NHWC, same shape), per channel c:
 *   t = a·ma[c] + b·mb[c] + k[c]   (exact: the op bounds |t| below 2^53, int64 in C)
 *   y = clamp(round_half_even(t / 2^shift), qmin, qmax)
 * (unsigned 8-bit output with `unsigned`): the fixed-point form of y = Quant(A_c·a + B_c + A'_c·b) that src/lower/join.ts derives.
 */
export function addRequant(a: ArrayLike<number>, b: ArrayLike<number>, ma: ArrayLike<number>, mb: ArrayLike<number>, k: ArrayLike<number>, shift: number, qmin: number, qmax: number, bits: number, unsigned: boolean): Uint8Array | Int8Array | Int16Array | Int32Array {
  const c = ma.length, d = 2 ** shift, half = d / 2;
  const y = intArray(bits, a.length, unsigned);
  for (let i = 0; i < a.length; i++) {
    const ci = i % c;
    const t = a[i] * ma[ci] + b[i] * mb[ci] + k[ci];
    let q = Math.floor(t / d);
    const rem = t - q * d;
    if (rem > half || (rem === half && (q & 1) !== 0)) q++;
    y[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
  return y;
}

/**
 * Channel concatenation of two NHWC tensors of `pixels` pixels, a (ca channels) then b (cb channels): integers
 * of `bits` bits (unsigned 8-bit with `unsigned`), or with `packed` packed ±1 words, channel j of b becoming
 * bit (ca + j) of the output row (wordsFor(ca + cb) words a pixel, tail bits 0).
 */
export function channelConcat(a: ArrayLike<number>, b: ArrayLike<number>, pixels: number, ca: number, cb: number, packed: boolean, bits: number, unsigned: boolean): Uint8Array | Int8Array | Int16Array | Int32Array {
  if (!packed) {
    const y = intArray(bits, pixels * (ca + cb), unsigned);
    for (let p = 0; p < pixels; p++) {
      for (let j = 0; j < ca; j++) y[p * (ca + cb) + j] = a[p * ca + j];
      for (let j = 0; j < cb; j++) y[p * (ca + cb) + ca + j] = b[p * cb + j];
    }
    return y;
  }
  const wa = wordsFor(ca), wb = wordsFor(cb), w = wordsFor(ca + cb);
  const y = new Int32Array(pixels * w);
  for (let p = 0; p < pixels; p++) {
    for (let k = 0; k < wa; k++) y[p * w + k] = a[p * wa + k];
    for (let j = 0; j < cb; j++) {
      const c = ca + j;
      y[p * w + (c >>> 5)] |= ((b[p * wb + (j >>> 5)] >>> (j & 31)) & 1) << (c & 31);
    }
  }
  return y;
}
