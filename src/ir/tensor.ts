// Tensor helpers shared by ops, passes and the interpreter: allocation, indexing, broadcasting, rounding.
import { bug } from '../errors.js';
import type { DType, Tensor, TensorData, TensorType } from './types.js';

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function allocData(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': case 'int64': return new Float64Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint16': return new Uint16Array(n);
    case 'int32': return new Int32Array(n);
  }
}

export function tensor(dtype: DType, shape: readonly number[], values?: ArrayLike<number>): Tensor {
  const n = sizeOf(shape);
  const data = allocData(dtype, n);
  if (values !== undefined) {
    bug(values.length === n, `tensor of shape [${shape}] given ${values.length} values`);
    if (dtype === 'int64') for (let i = 0; i < n; i++) data[i] = saturateInt64(values[i]);
    else data.set(values as ArrayLike<number>);
  }
  return { dtype, shape: [...shape], data };
}

export function scalar(dtype: DType, v: number): Tensor {
  return tensor(dtype, [], [v]);
}

export function typeOf(t: Tensor): TensorType {
  return { dtype: t.dtype, shape: t.shape };
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

export function saturateInt64(v: number): number {
  if (v >= 2 ** 63) return 2 ** 63;
  if (v <= -(2 ** 63)) return -(2 ** 63);
  return Math.trunc(v) + 0; // + 0 turns −0 into 0: integers have no negative zero
}

/**
 * Rounds an exact JS double result to the element type: Math.fround for float32 (every float32 operation
 * is one IEEE single operation), identity for float64, wrap-around for fixed-width integers.
 */
export function rounderFor(dtype: DType): (v: number) => number {
  switch (dtype) {
    case 'float32': return Math.fround;
    case 'float64': return (v) => v;
    case 'int64': return saturateInt64;
    case 'int32': return (v) => v | 0;
    case 'int16': return (v) => (v << 16) >> 16;
    case 'uint16': return (v) => v & 0xffff;
    case 'int8': return (v) => (v << 24) >> 24;
    case 'uint8': return (v) => v & 0xff;
    case 'bool': return (v) => (v ? 1 : 0);
  }
}

/** Numpy-style broadcast of two shapes; undefined if they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** For each flat index of `outShape`, the flat index into a tensor of `inShape` broadcast to it. */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = sizeOf(outShape);
  const idx = new Int32Array(n);
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  // effective strides: 0 where the input dimension is 1 (or missing)
  const eff = new Array<number>(rank).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const o = rank - inShape.length + i;
    eff[o] = inShape[i] === 1 ? 0 : inStrides[i];
  }
  const counter = new Array<number>(rank).fill(0);
  let cur = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = cur;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      cur += eff[d];
      if (counter[d] < outShape[d]) break;
      cur -= eff[d] * counter[d];
      counter[d] = 0;
    }
  }
  return idx;
}

/** Normalizes a possibly negative axis against a rank. Returns undefined when out of range. */
export function normAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function toNumbers(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number>);
}
