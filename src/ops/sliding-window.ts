// Sliding-window geometry shared by Conv, MaxPool and AveragePool: resolves kernel, strides, dilations,
// pads (explicit or auto_pad) and ceil_mode into output sizes, and lists for every output position the
// kernel taps that fall inside the input, in row-major kernel order (padding taps are never read).
import { fail } from '../errors.js';
import { shapeText, sizeOf, stridesOf } from '../ir/tensor.js';
import type { AttrSpec, OpContext } from './types.js';
import { attrInts, attrString, where } from './util.js';

/** The attributes every windowed op has (ceil_mode and count_include_pad are the pools' own). */
export const WINDOW_ATTRS: Readonly<Record<string, AttrSpec>> = {
  auto_pad: { kind: 'string', default: 'NOTSET' },
  kernel_shape: { kind: 'ints' },
  strides: { kind: 'ints' },
  dilations: { kind: 'ints' },
  pads: { kind: 'ints' },
};

export interface Window {
  readonly inSize: readonly number[];
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly padBegin: readonly number[];
  readonly padEnd: readonly number[];
  readonly outSize: readonly number[];
}

/**
 * Per spatial axis, with dk = (k − 1)·d + 1 the dilated kernel extent:
 *   out = floor((in + padBegin + padEnd − dk) / s) + 1        (ceil instead of floor with ceil_mode,
 *         dropping a last window that would start in the end padding, as ONNX and onnxruntime do)
 *   SAME_UPPER / SAME_LOWER: total = max(0, (ceil(in/s) − 1)·s + dk − in), split evenly, the odd unit
 *         at the end (UPPER) or the beginning (LOWER); VALID: no padding. (This follows the ONNX text with
 *         dilations too; onnxruntime refuses SAME with dilation in Conv and uses k for dk in the pools.)
 * Pools (`pool`) also require explicit pads smaller than the kernel, as onnxruntime does: then no window
 * lies wholly in the padding, so every max and every average has at least one input.
 */
export function resolveWindow(ctx: OpContext, inSize: readonly number[], kernel: readonly number[], ceilMode: boolean, pool = false): Window {
  const r = inSize.length;
  const w = where(ctx);
  const list = (name: string, len: number, dflt: number, min: number): number[] => {
    const v = attrInts(ctx, name);
    if (v === undefined) return new Array<number>(len).fill(dflt);
    if (v.length !== len || v.some((x) => !Number.isInteger(x) || x < min)) {
      fail('BNNC_E006', `'${name}' is [${v.join(',')}]; expected ${len} integers >= ${min} for ${r} spatial axes`, w);
    }
    return [...v];
  };
  if (kernel.length !== r || kernel.some((k) => !Number.isInteger(k) || k < 1)) {
    fail('BNNC_E006', `kernel shape ${shapeText(kernel)} does not fit ${r} spatial axes`, w);
  }
  const strides = list('strides', r, 1, 1);
  const dilations = list('dilations', r, 1, 1);
  const pads = list('pads', 2 * r, 0, 0);
  const autoPad = attrString(ctx, 'auto_pad');
  const padBegin: number[] = [], padEnd: number[] = [], outSize: number[] = [];
  for (let i = 0; i < r; i++) {
    const s = strides[i], dk = (kernel[i] - 1) * dilations[i] + 1, n = inSize[i];
    let pb: number, pe: number;
    switch (autoPad) {
      case 'NOTSET':
        pb = pads[i];
        pe = pads[i + r];
        if (pool && (pb >= kernel[i] || pe >= kernel[i])) {
          fail('BNNC_E017', `pads [${pads.join(',')}] must be smaller than the kernel ${shapeText(kernel)}`, w);
        }
        break;
      case 'VALID': pb = 0; pe = 0; break;
      case 'SAME_UPPER': case 'SAME_LOWER': {
        const total = Math.max(0, (Math.ceil(n / s) - 1) * s + dk - n);
        const small = Math.floor(total / 2);
        pb = autoPad === 'SAME_UPPER' ? small : total - small;
        pe = total - pb;
        break;
      }
      default: fail('BNNC_E017', `auto_pad '${autoPad}'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID`, w);
    }
    const span = n + pb + pe - dk;
    if (span < 0) {
      fail('BNNC_E009', `axis ${i + 2}: the kernel spans ${dk} but the padded input has only ${n + pb + pe}`, w);
    }
    let out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (ceilMode && (out - 1) * s >= n + pb) out--;
    padBegin.push(pb);
    padEnd.push(pe);
    outSize.push(out);
  }
  return { inSize: [...inSize], kernel: [...kernel], strides, dilations, padBegin, padEnd, outSize };
}

/**
 * CSR lists of the taps of each output position p (flat, row-major): for j in start[p] .. start[p+1]−1,
 * kernel tap `tap[j]` (flat row-major over the kernel) reads input offset `off[j]` (flat over the spatial
 * input). `padded[p]` counts the taps inside the padded input (AveragePool's count_include_pad divisor).
 */
export interface Taps {
  readonly start: Int32Array;
  readonly tap: Int32Array;
  readonly off: Int32Array;
  readonly padded: Int32Array;
}

export function windowTaps(w: Window): Taps {
  const r = w.inSize.length;
  const nOut = sizeOf(w.outSize), nK = sizeOf(w.kernel);
  const inStr = stridesOf(w.inSize);
  const start = new Int32Array(nOut + 1);
  const padded = new Int32Array(nOut);
  const tap: number[] = [], off: number[] = [];
  const o = new Array<number>(r).fill(0);
  for (let p = 0; p < nOut; p++) {
    const k = new Array<number>(r).fill(0);
    for (let t = 0; t < nK; t++) {
      let at = 0, inside = true, inPad = true;
      for (let i = 0; i < r; i++) {
        const c = o[i] * w.strides[i] - w.padBegin[i] + k[i] * w.dilations[i];
        if (c < 0 || c >= w.inSize[i]) inside = false;
        if (c < -w.padBegin[i] || c >= w.inSize[i] + w.padEnd[i]) inPad = false;
        at += c * inStr[i];
      }
      if (inside) { tap.push(t); off.push(at); }
      if (inPad) padded[p]++;
      increment(k, w.kernel);
    }
    start[p + 1] = tap.length;
    increment(o, w.outSize);
  }
  return { start, tap: Int32Array.from(tap), off: Int32Array.from(off), padded };
}

/** Advances a row-major multi-index by one. */
export function increment(idx: number[], shape: readonly number[]): void {
  for (let d = shape.length - 1; d >= 0; d--) {
    if (++idx[d] < shape[d]) return;
    idx[d] = 0;
  }
}

/**
 * The same taps grouped by kernel tap, for evals that sweep one tap over all outputs (Conv): for kernel
 * tap t (flat row-major), runs start[t] .. start[t+1]−1; run j covers the `len[j]` consecutive output
 * positions from `out[j]` (flat) along the last spatial axis, reading the input from offset `off[j]` in
 * steps of `step` (the last axis' stride). An output position is in a run of tap t exactly when t is in
 * its list of `windowTaps`. Per axis i the tap (k, d, s, pb) reads c = o·s − pb + k·d, inside for
 *   lo = max(0, ceil((pb − k·d) / s)) ≤ o < hi = min(out, floor((in − 1 + pb − k·d) / s) + 1).
 */
export interface TapRuns {
  readonly start: Int32Array;
  readonly out: Int32Array;
  readonly off: Int32Array;
  readonly len: Int32Array;
  readonly step: number;
}

export function windowRuns(w: Window): TapRuns {
  const r = w.inSize.length;
  const nK = sizeOf(w.kernel);
  const inStr = stridesOf(w.inSize), outStr = stridesOf(w.outSize);
  const start = new Int32Array(nK + 1);
  const out: number[] = [], off: number[] = [], len: number[] = [];
  const k = new Array<number>(r).fill(0);
  const lo = new Array<number>(r), hi = new Array<number>(r);
  for (let t = 0; t < nK; t++) {
    let empty = false;
    for (let i = 0; i < r; i++) {
      const shift = w.padBegin[i] - k[i] * w.dilations[i];
      lo[i] = Math.max(0, Math.ceil(shift / w.strides[i]));
      hi[i] = Math.min(w.outSize[i], Math.floor((w.inSize[i] - 1 + shift) / w.strides[i]) + 1);
      if (lo[i] >= hi[i]) empty = true;
    }
    if (!empty) {
      // every output multi-index of the box lo .. hi−1 over the axes before the last one
      const o = lo.slice(0, r - 1);
      for (;;) {
        let p = lo[r - 1] * outStr[r - 1], at = 0;
        for (let i = 0; i < r; i++) {
          const oi = i < r - 1 ? o[i] : lo[i];
          if (i < r - 1) p += oi * outStr[i];
          at += (oi * w.strides[i] - w.padBegin[i] + k[i] * w.dilations[i]) * inStr[i];
        }
        out.push(p); off.push(at); len.push(hi[r - 1] - lo[r - 1]);
        let d = r - 2;
        for (; d >= 0; d--) {
          if (++o[d] < hi[d]) break;
          o[d] = lo[d];
        }
        if (d < 0) break;
      }
    }
    start[t + 1] = out.length;
    increment(k, w.kernel);
  }
  return { start, out: Int32Array.from(out), off: Int32Array.from(off), len: Int32Array.from(len), step: w.strides[r - 1] * inStr[r - 1] };
}
