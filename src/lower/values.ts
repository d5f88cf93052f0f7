// The kinds of value the lowering tracks, one per representation of a float tensor of the model, and what
// each kind can feed. The lowering (lower.ts) classifies every node by the role it plays for its one
// computed input (a binary layer, a step of a per-channel float chain, a pool, a reshape, a pad, anything
// else) and dispatches on the input's kind through the table KINDS; a kind without a rule for a role
// takes its `other` rule, or refuses with its own message.
//
// A node with several computed inputs (a residual Add) goes to the `join` rule of their common kind.
// Adding a kind (a k-bit integer tensor with a per-tensor scale and zero point, a tensor read by several
// consumers) is: one member of `Value`, one file with its `KindRules`, one line of the table in lower.ts.
// The layer code (layer.ts) asks a kind only for its geometry and its integer layer (`LayerFeed`). What
// produces the new kind is the one existing rule to extend: today a chain ends where analyze/binary.ts
// recognizes a two-level activation (steps.ts), and the chain's kind binarizes it into packed bits; a
// multi-level quantizer ends it into a k-bit kind (thresholds per level, quantizer.ts) once something
// reads integers.
import type { InputQuant, Node } from '../ir/types.js';
import type { Chain, Step } from './chain.js';
import { isShapeOnly } from './chain.js';
import type { Lowering } from './context.js';
import type { Levels } from './levels.js';

/** The raw integer input (q), with the float ops applied to it so far (shape-only, scaling, a sign). */
export interface RawInput {
  readonly kind: 'input';
  readonly name: string;
  readonly steps: readonly Step[];
  readonly floatShape: readonly number[];
  /** After the model's own input Quant: what the raw integers stand for there, (q − zero point)·scale. */
  readonly quant?: InputQuant;
}

/**
 * An int32 accumulator of a binary layer, [N, H, W, C], and the float chain pending on it per channel;
 * every reachable accumulator of channel c lies in [lo[c], hi[c]].
 */
export interface Accumulator {
  readonly kind: 'acc';
  readonly name: string;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly chain: Chain;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
}

/**
 * Packed ±1 activations (numeric/bits.ts): C channels of H×W pixels; `flat` once flattened for a dense
 * layer; `pad` a constant Pad still to apply, which the next binary conv takes as its own padding.
 */
export interface PackedBits {
  readonly kind: 'bits';
  readonly name: string;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly flat: boolean;
  /** `value`: the packed value (±1, or 0: nothing) the padding taps take (levels.ts padBit). */
  readonly pad?: { readonly pads: readonly number[]; readonly value: number };
  /** The two values the bits stand for (levels.ts; bit +1 = the higher); absent: −1 and +1. */
  readonly levels?: Levels;
}

/**
 * A k-bit integer tensor (issue #12: multi-bit activations, calibrated int8 activations, residual shortcut
 * streams): C channels of H×W pixels stored NHWC as `dtype` (int8, uint8, or int16 where a wider stream
 * is needed), every value q in [qmin, qmax] (k = bits: qmax − qmin < 2^bits), standing for the float
 * value (q − zeroPoint)·scale of the model, bit for bit as the model's quantizer computes it. `flat` once
 * flattened for a dense layer (the dense weights' columns stay in the model's NCHW order).
 */
export interface IntTensor {
  readonly kind: 'int';
  readonly name: string;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly flat: boolean;
  readonly dtype: 'int8' | 'uint8' | 'int16';
  readonly bits: number;
  readonly qmin: number;
  readonly qmax: number;
  /** Per-tensor scale and integer zero point: float value = (q − zeroPoint)·scale. */
  readonly scale: number;
  readonly zeroPoint: number;
  /**
   * The float32 value of each level, levels[q − qmin], exactly as the model's quantizer computes it (a
   * graph output is dequantized by this table); absent: fl((q − zeroPoint)·scale).
   */
  readonly levels?: Float32Array;
}

/** An ordinary float tensor after the last binary layer's epilogue: its float ops are copied as they are. */
export interface FloatTail {
  readonly kind: 'float';
  readonly name: string;
  /** The node that first read a binary layer's float output (where the float tail began), when not this one. */
  readonly tailFrom?: { readonly node: string; readonly op: string };
}

export type Value = RawInput | Accumulator | PackedBits | IntTensor | FloatTail;
export type ValueKind = Value['kind'];
export type ValueOf<K extends ValueKind> = Extract<Value, { kind: K }>;

/** What a node does to its one computed input. */
export type Role = 'layer' | 'pool' | 'reshape' | 'chain' | 'pad' | 'other';

const LAYER_OPS = new Set(['Conv', 'Gemm', 'MatMul']);
const CHAIN_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'BatchNormalization', 'Relu', 'Clip', 'Sign', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Where', 'Neg', 'Round', 'PRelu']);
/** QONNX quantizers: chain steps (a one-level one binarizes; a multi-level one ends in k-bit levels, quantizer.ts). */
export const CHAIN_QONNX = new Set(['BipolarQuant', 'Quant', 'MultiThreshold']);

export function roleOf(n: Node, slot: number): Role {
  if (n.domain === '' && LAYER_OPS.has(n.op) && slot === 0) return 'layer';
  if (n.domain === '' && (n.op === 'MaxPool' || n.op === 'AveragePool' || n.op === 'GlobalAveragePool')) return 'pool';
  if (isShapeOnly(n)) return 'reshape';
  if ((n.domain === '' && CHAIN_OPS.has(n.op)) || (n.domain === 'qonnx' && CHAIN_QONNX.has(n.op))) return 'chain';
  if (n.domain === '' && n.op === 'Pad') return 'pad';
  return 'other';
}

/** A rule: lower node `n`, whose input `slot` holds `v`, recording the values of its outputs. */
export type Rule<V extends Value> = (lw: Lowering, n: Node, slot: number, v: V) => void;

/** Channels and spatial size that a binary layer reads from a value. */
export interface Geometry {
  readonly C: number;
  readonly H: number;
  readonly W: number;
}

/** A binary layer's weights, as the layer code has normalized them (ONNX Conv layout, signs only). */
export interface LayerWeights {
  /** [M, Cg, KH, KW] of the float weights (dense layers as 1×1 convolutions over the input's geometry). */
  readonly shape: readonly number[];
  /** sign of every weight, ±1, in that layout. */
  readonly signs: Int8Array;
  readonly weightName: string;
  readonly attrs: { readonly group: number; readonly kernel_shape: number[]; readonly strides: number[]; readonly dilations: number[] };
  readonly pads: number[];
  readonly geometry: Geometry;
}

/** The integer layer a kind emits for a binary layer, and how its accumulator maps to the float layer. */
export interface LayerOut {
  /** Reachable accumulator range per output channel. */
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /** Factor on the weights' scale (an input scale), and a divisor (1/255 as a division), for the chain. */
  readonly scale: number;
  readonly divisor: number;
  /** Per output channel, a constant the float layer adds to scale·acc, in units of the weights' scale (levels.ts). */
  readonly offset?: Float64Array;
}

/** A kind that can be the data input of a binary layer (Conv, Gemm, MatMul). */
export interface LayerFeed<V extends Value> {
  geometry(lw: Lowering, v: V, inShape: readonly number[], n: Node): Geometry;
  /** Emits the integer layer writing accumulator `acc`. */
  emit(lw: Lowering, n: Node, v: V, w: LayerWeights, acc: string): LayerOut;
}

export interface KindRules<V extends Value> {
  /** Feeds a binary layer (layer.ts `layerRule(feed)`). */
  readonly layer?: Rule<V>;
  readonly pool?: Rule<V>;
  readonly reshape?: Rule<V>;
  readonly chain?: Rule<V>;
  readonly pad?: Rule<V>;
  /** Every role without a rule of its own; absent: `refuse`. */
  readonly other?: Rule<V>;
  /**
   * A node combining several computed tensors, all of this kind (a residual Add, a Concat of branches);
   * absent: refused. A float tail copies the node; binary kinds take none yet.
   */
  readonly join?: (lw: Lowering, n: Node, vals: readonly V[]) => void;
  /** As a graph output. */
  readonly output: (lw: Lowering, name: string, v: V) => void;
  /** The diagnostic for a role this kind cannot take (a CompileError, BNNC_E031). */
  readonly refuse: (lw: Lowering, n: Node, role: Role, v: V) => never;
}

export type KindTable = { readonly [K in ValueKind]: KindRules<ValueOf<K>> };
