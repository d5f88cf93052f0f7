// What an op hands the C back ends: its `cData` hook (types.ts) returns a typed record of the numbers its
// template lays out, with constant arrays kept as numbers beside their element type. The back end
// (backend/c-data.ts) plans the arena, names functions and arrays, and renders numbers only at the end
// (backend/c-literals.ts). The helpers every hook shares live here.
import type { Node, Tensor, TensorType } from '../ir/types.js';
import type { Window } from './sliding-window.js';

/** The C element types of the constant arrays, with their sizes in bytes (the generated file's accounts). */
export const CTYPE_BYTES = { uint32_t: 4, int32_t: 4, float: 4, int16_t: 2, int8_t: 1, uint8_t: 1 } as const;
export type CType = keyof typeof CTYPE_BYTES;

/** A constant array of the generated C: its name, element type and values (numbers until rendered). */
export interface ConstArray {
  readonly name: string;
  readonly ctype: CType;
  readonly values: readonly number[];
  readonly count: number;
  /** Values per line of the initializer (layout only). */
  readonly perLine: number;
}

export function constArray(name: string, ctype: CType, values: ArrayLike<number>, perLine: number): ConstArray {
  const v = Array.from(values);
  return { name, ctype, values: v, count: v.length, perLine };
}

/** A hook's layer: the template partial, the comment's second part, and the fields the template reads. */
export interface CLayer { partial: string; comment: string; [field: string]: unknown }

/** What a `cData` hook sees of the model being built: its node, the values' types, buffers and constants. */
export interface CDataContext {
  readonly node: Node;
  readonly opset: number;
  /** The layer's C function name. */
  readonly fn: string;
  /** The first comment line: node names, op, input and output types. */
  readonly head: string;
  type(value: string): TensorType;
  /** The C element type of a value (packed bits are uint32_t words). */
  ctype(value: string): string;
  /** A constant input (a CompileError when it is computed). */
  init(value: string): Tensor;
  /** The C expression of a value's buffer (the input, or a place in the arena). */
  ptr(value: string): string;
  /** Adds a constant array of this layer, named <prefix>_c<index>_<role>, and returns its name. */
  array(role: string, ctype: CType, values: ArrayLike<number>, perLine: number): string;
  /** The window of the node (attributes kernel_shape … of `attrs`, default the node's) over an [H, W] input. */
  window(inSize: readonly number[], kernel: readonly number[], ceil?: boolean, attrs?: Node['attrs']): Window;
  /** Counts multiply-accumulates of this layer into the model's total. */
  macs(n: number): void;
}

/**
 * Text from the model (node, tensor and graph names) as it may appear inside a C comment or string: printable
 * ASCII only, no comment delimiters, no backslash (line splicing), no '?' (C99 trigraphs such as ??/), no quote.
 */
export function cText(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '_').replace(/[\\?"]/g, '_').replace(/\*\//g, '*_').replace(/\/\*/g, '_*').replace(/\/\//g, '_/');
}

/**
 * The C test that window coordinate `v` = o·stride − pad + k·dilation (o < out, k < kernel) leaves [0, size),
 * with only the sides some window crosses; '' when none does (no padding and the last window inside).
 */
export function outside(v: string, pad: number, out: number, stride: number, kernel: number, dilation: number, size: number): string {
  const low = pad > 0 ? `${v} < 0` : '';
  const high = (out - 1) * stride - pad + (kernel - 1) * dilation >= size ? `${v} >= ${size}` : '';
  return [low, high].filter((t) => t !== '').join(' || ');
}

/**
 * The bit count of packed word q of n channels in `words` words: a plain constant unless the last word is
 * partial and there are several words (no `q == 0 ? 32 : 32` for cppcheck to fold).
 */
export function wordBits(n: number, words: number): string {
  const last = n - 32 * (words - 1);
  return words === 1 || last === 32 ? String(last) : `q == ${words - 1} ? ${last} : 32`;
}

/** The numbers of a 2-D window a template lays out, with the bounds tests of the sides some window crosses. */
export interface Geo {
  H: number; W: number; OH: number; OW: number; KH: number; KW: number; SH: number; SW: number;
  DH: number; DW: number; PT: number; PL: number; HOUT: string; WOUT: string;
}

export function geo(w: Window): Geo {
  return {
    H: w.inSize[0], W: w.inSize[1], OH: w.outSize[0], OW: w.outSize[1], KH: w.kernel[0], KW: w.kernel[1],
    SH: w.strides[0], SW: w.strides[1], DH: w.dilations[0], DW: w.dilations[1], PT: w.padBegin[0], PL: w.padBegin[1],
    // the bounds tests of the window's rows and columns, only for the sides a window crosses
    HOUT: outside('ih', w.padBegin[0], w.outSize[0], w.strides[0], w.kernel[0], w.dilations[0], w.inSize[0]),
    WOUT: outside('iw', w.padBegin[1], w.outSize[1], w.strides[1], w.kernel[1], w.dilations[1], w.inSize[1]),
  };
}

/** The threshold half of a fused conv (bnnc/ConvThreshold.ts): T and K of M channels, packed in MW words. */
export interface ThresholdFields { MW: number; MLAST: number; NB: string; sumPartial: 'xnor-sum' | 'int-sum'; thresholds: string; kinds: string }

/** The pool half of a conv fused with AccPool and Threshold: the pool's window over the conv's [OH, OW] map. */
export interface PoolFields {
  POH: number; POW: number; PKH: number; PKW: number; PSH: number; PSW: number; PDH: number; PDW: number;
  PPT: number; PPL: number; POHOUT: string; POWOUT: string; poolNote: string; dirs: string;
}

/** What a fused op's tail adds to its conv's layer: nothing, the threshold half, or both halves. */
export type ConvTailFields = Partial<ThresholdFields & PoolFields>;

/** A binary conv's layer (bnnc/XnorConv.ts), alone or fused; the optimized kernels read it. */
export interface XnorConvLayer extends CLayer, Geo, ConvTailFields {
  kind: 'xnor-conv'; xt: 'uint32_t'; padded: boolean;
  M: number; CW: number; CG: number; CGW: number; G: number; MG: number; PAD: number; TAIL: number; LASTK: string;
  weights: string; wsum: string; wtotal: string; decls: string; sumExpr: string;
}

/** An integer conv's layer (bnnc/IntConv.ts), alone or fused; the optimized kernels read it. */
export interface IntConvLayer extends CLayer, Geo, ConvTailFields {
  kind: 'int-conv'; packedW: boolean; rowBits: boolean;
  M: number; CG: number; G: number; MG: number; ZP: number; SC: number; SY: number; SX: number; weights: string; decls: string;
  /** The input's value range (attributes qmin/qmax, else its dtype's): what the optimized kernels size their sums by. */
  QMIN: number; QMAX: number;
}
