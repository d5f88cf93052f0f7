// Bit packing shared by the reference interpreter and every C back end: the one statement of how ±1 values
// live in 32-bit words. Change nothing here without changing docs/numerics.md and every template with it.
//
// THE CONVENTIONS
// - Polarity: bit 1 means −1, bit 0 means +1 (the float sign bit, as Larq Compute Engine does). Packing a
//   number v gives bit (v < 0): sign(0) packs as +1, and so do −0 and NaN.
// - Dot product: for ±1 vectors a, w of n elements, a_i·w_i = +1 when the bits agree and −1 when they
//   differ, so with d = popcount(a XOR w) differing positions: dot(a, w) = (n − d) − d = n − 2·d.
// - Activations: NHWC, channels packed along the last axis. Channel c of a pixel is bit (c & 31), LSB
//   first, of word (c >> 5) of that pixel's word row; C channels take Cw = ceil(C/32) words per pixel,
//   and every pixel starts on a new word. A packed tensor is dtype 'int32' (the IR has no uint32; read a
//   word as unsigned with `>>> 0`), shape [N, H, W, Cw]; the op attribute `channels` holds C.
// - Tail bits (c ≥ C in the last word) are 0, in activations and weights alike. Then XOR of two tails is
//   0 and a popcount over whole words counts exactly the n real channels.
// - XnorConv weights: [M, KH, KW, Cgw] int32, Cg = C/group channels per group, Cgw = ceil(Cg/32); channel j
//   of output m's group is bit (j & 31) of word (j >> 5) of the tap's word row (each group packed alone,
//   starting at bit 0, even when g·Cg is not a multiple of 32).
//
// Below the IR (imports nothing of it): a packed tensor is the plain record `Words`, which an IR `Tensor`
// of dtype 'int32' satisfies as it is.
import { bug } from '../errors.js';

/** Packed words with their shape: structurally an IR int32 `Tensor`. */
export interface Words {
  readonly dtype: 'int32';
  readonly shape: readonly number[];
  readonly data: Int32Array;
}

/** A packed tensor as read back (any IR tensor; checked to be int32). */
export interface WordsLike {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

function allocWords(shape: readonly number[]): Words {
  return { dtype: 'int32', shape, data: new Int32Array(shape.reduce((a, d) => a * d, 1)) };
}

/** Words per pixel for `channels` channels: ceil(channels / 32). */
export function wordsFor(channels: number): number {
  return (channels + 31) >>> 5;
}

/** The valid bits of the last word of a `channels`-channel row, as an int32 (−1 when all 32 are valid). */
export function tailMask(channels: number): number {
  const r = channels & 31;
  return r === 0 ? -1 : (-1 >>> (32 - r)) | 0;
}

/** Number of 1 bits of the low 32 bits of x (SWAR: pairs, nibbles, bytes, then a byte sum by multiply). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Bit `index` (LSB first across the words) of a word array: 0 or 1. */
export function getBit(words: ArrayLike<number>, index: number): number {
  return (words[index >>> 5] >>> (index & 31)) & 1;
}

/**
 * Packs values of shape [..., C] (NHWC for activations) into an int32 tensor of shape [..., ceil(C/32)]:
 * bit 1 where v < 0, else 0; tail bits 0.
 */
export function packBits(values: ArrayLike<number>, shape: readonly number[]): Words {
  bug(shape.length >= 1 && values.length === shape.reduce((a, d) => a * d, 1), `packBits: ${values.length} values for shape [${shape}]`);
  const c = shape[shape.length - 1], cw = wordsFor(c);
  const rows = c === 0 ? 0 : values.length / c;
  const out = allocWords([...shape.slice(0, -1), cw]);
  const d = out.data;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < c; j++) if (values[r * c + j] < 0) d[r * cw + (j >>> 5)] |= 1 << (j & 31);
  }
  return out;
}

/** The ±1 values of a packed tensor [..., Cw] holding `channels` channels, as [..., channels] row-major. */
export function unpackBits(t: WordsLike, channels: number): Int8Array {
  const cw = t.shape[t.shape.length - 1];
  bug(t.dtype === 'int32' && cw === wordsFor(channels), `unpackBits: ${t.dtype}[${t.shape}] does not hold ${channels} channels`);
  const rows = cw === 0 ? 0 : t.data.length / cw;
  const out = new Int8Array(rows * channels);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < channels; j++) out[r * channels + j] = ((t.data[r * cw + (j >>> 5)] >>> (j & 31)) & 1) ? -1 : 1;
  }
  return out;
}

/**
 * Packs conv weights given in ONNX layout [M, Cg, KH, KW] (any sign; v < 0 → bit 1) into [M, KH, KW, Cgw]:
 * the word row of tap (kh, kw) of output m holds its Cg input channels. A dense layer is KH = KW = 1.
 */
export function packWeights(w: ArrayLike<number>, m: number, cg: number, kh: number, kw: number): Words {
  bug(w.length === m * cg * kh * kw, `packWeights: ${w.length} values for [${m},${cg},${kh},${kw}]`);
  const cgw = wordsFor(cg);
  const out = allocWords([m, kh, kw, cgw]);
  const d = out.data;
  for (let mi = 0; mi < m; mi++) {
    for (let j = 0; j < cg; j++) {
      for (let t = 0; t < kh * kw; t++) {
        if (w[(mi * cg + j) * kh * kw + t] < 0) d[(mi * kh * kw + t) * cgw + (j >>> 5)] |= 1 << (j & 31);
      }
    }
  }
  return out;
}

/**
 * Copies `count` bits, starting at bit `first` of the word array `src` from word `srcAt`, into `dst` at word
 * `dstAt` as a fresh row starting at bit 0 (LSB first), tail bits 0. Extracts one group's channels.
 */
export function extractBits(src: ArrayLike<number>, srcAt: number, first: number, count: number, dst: Int32Array, dstAt: number): void {
  const words = wordsFor(count);
  const shift = first & 31, base = srcAt + (first >>> 5);
  for (let k = 0; k < words; k++) {
    let v = src[base + k] >>> shift;
    if (shift !== 0 && (k + 1) * 32 - shift < count) v |= src[base + k + 1] << (32 - shift);
    dst[dstAt + k] = k === words - 1 ? v & tailMask(count) : v;
  }
}

/** dot(a, w) of two packed ±1 rows of n elements with zero tails: n − 2·Σ popcount(a XOR w) over the words. */
export function dotPacked(a: ArrayLike<number>, aAt: number, w: ArrayLike<number>, wAt: number, n: number): number {
  let d = 0;
  for (let k = 0, words = wordsFor(n); k < words; k++) d += popcount32(a[aAt + k] ^ w[wAt + k]);
  return n - 2 * d;
}
