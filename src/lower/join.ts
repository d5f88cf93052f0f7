// Residual joins: an `Add` of two integer-backed values (an accumulator with its pending affine chain, or an
// IntTensor), whose sum the model quantizes right after with a QONNX `Quant` (its own, or the one
// `--calibrate` inserts) or a plain x/s → Round → Clip → ·s, lowered to bnnc.AddRequant: integers in, a
// k-bit IntTensor out.
//
// Derivation. Each input i is affine in its integer x_i per channel c: v_i = A_i[c]·x_i + B_i[c] (an
// accumulator: its chain replayed in float64 at 0 and 1; an IntTensor: A = scale, B = −zp·scale). The Quant
// (scale s, zero point z) gives y = clamp(round(Σ v_i / s + z)). With r_i = A_i/s and o = Σ B_i/s + z,
// y = clamp(round(Σ r_i·x_i + o)); in fixed point with one shift S,
//   ma = round(r_a·2^S), mb = round(r_b·2^S), k = round(o·2^S),
//   y = clamp(round_half_even((x_a·ma + x_b·mb + k) / 2^S)),
// S the largest (≤ 40) that keeps |ma|, |mb| within what leaves |t| < 2^53 for the inputs' types and |k| <
// 2^31 (int32 constants). The rounding of r_i and o moves t/2^S by at most (|x_a| + |x_b| + 1)·2^−(S+1);
// bnnc requires that below 1/64 of an output step over the reachable ranges (else BNNC_E143). The float
// model rounds its own sum (float32), so values at a tie may differ by one step: docs/numerics.md.
import { fail } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { Node } from '../ir/types.js';
import { quantize } from './accumulator.js';
import { isShapeOnly, replay } from './chain.js';
import type { Lowering } from './context.js';
import { backingType } from './int-chain.js';
import type { Accumulator, IntTensor, Value } from './values.js';

const AFFINE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Neg', 'BatchNormalization']);
const DTYPE_ABS: Record<string, number> = { uint8: 255, int8: 128, int16: 32768, int32: 2 ** 31 };

/** A QONNX Quant's integer grid, from its constant scalar scale, zero point and bit width. */
export interface Grid {
  readonly scale: number; readonly zeroPoint: number; readonly bits: number; readonly qmin: number; readonly qmax: number;
  readonly dtype: 'int8' | 'uint8' | 'int16';
}

export function quantGrid(lw: Lowering, n: Node): Grid | undefined {
  if (n.domain !== 'qonnx' || n.op !== 'Quant') return undefined;
  const [s, z, b] = [1, 2, 3].map((i) => lw.konst(n.inputs[i]));
  if (!s || !z || !b || s.data.length !== 1 || z.data.length !== 1 || b.data.length !== 1) return undefined;
  const scale = s.data[0], zeroPoint = z.data[0], bits = b.data[0];
  const signed = n.attrs.signed !== 0, narrow = n.attrs.narrow === 1;
  const mode = String(n.attrs.rounding_mode ?? 'ROUND').toUpperCase();
  if (!(scale > 0) || !Number.isInteger(zeroPoint) || !Number.isInteger(bits) || bits < 2 || bits > 16 || (!signed && bits > 8)) return undefined;
  if (mode !== 'ROUND' && mode !== 'HALF_EVEN') return undefined;
  const qmin = signed ? -(2 ** (bits - 1)) + (narrow ? 1 : 0) : 0;
  const qmax = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1 - (narrow ? 1 : 0);
  return { scale, zeroPoint, bits, qmin, qmax, dtype: bits > 8 ? 'int16' : signed ? 'int8' : 'uint8' };
}

/** The nodes of a plain fake quantizer after a join, which pass the join's IntTensor on unchanged. */
const PASS = new WeakMap<Lowering, Set<Node>>();

export function passesThrough(lw: Lowering, n: Node): boolean {
  return PASS.get(lw)?.has(n) ?? false;
}

/** The one scalar constant operand of a node reading `from`, or undefined. */
function scalarOperand(lw: Lowering, n: Node, from: string): number | undefined {
  if (n.inputs.length !== 2 || n.inputs[0] !== from) return undefined;
  const t = lw.konst(n.inputs[1]);
  return t && t.data.length === 1 ? t.data[0] : undefined;
}

/**
 * The plain-ONNX fake quantizer a PyTorch model writes after its join, x/s (or x·(1/s)) → Round → Clip(lo, hi)
 * → ·s (or /(1/s)), each node the only reader of the one before: its grid (zero point 0; Round is half to
 * even, as the Quant's ROUND) and its nodes.
 */
function plainGrid(lw: Lowering, out: string): { grid: Grid; nodes: Node[] } | undefined {
  const only = (name: string): Node | undefined => {
    const users = lw.consumers.get(name) ?? [];
    return users.length === 1 && !lw.g.outputs.includes(name) && users[0].domain === '' ? users[0] : undefined;
  };
  const n1 = only(out);
  const k1 = n1 && scalarOperand(lw, n1, out);
  if (!n1 || k1 === undefined || (n1.op !== 'Div' && n1.op !== 'Mul')) return undefined;
  const s = n1.op === 'Div' ? k1 : 1 / k1;
  const n2 = only(n1.outputs[0]);
  if (n2?.op !== 'Round') return undefined;
  const n3 = only(n2.outputs[0]);
  if (n3?.op !== 'Clip') return undefined;
  const [lo, hi] = lw.g.opset < 11 ? [n3.attrs.min as number, n3.attrs.max as number] : [1, 2].map((i) => (n3.inputs[i] ? lw.konst(n3.inputs[i])?.data[0] : undefined));
  if (lo === undefined || hi === undefined || !Number.isInteger(lo) || !Number.isInteger(hi) || lo > 0 || hi <= 0) return undefined;
  const n4 = only(n3.outputs[0]);
  const k4 = n4 && scalarOperand(lw, n4, n3.outputs[0]);
  if (!n4 || k4 === undefined || (n4.op !== 'Mul' && n4.op !== 'Div')) return undefined;
  const s4 = n4.op === 'Mul' ? k4 : 1 / k4;
  if (!(s > 0) || Math.abs(s4 - s) > 1e-6 * s) return undefined;
  const dtype = lo >= -128 && hi <= 127 ? 'int8' : lo >= 0 && hi <= 255 ? 'uint8' : lo >= -32768 && hi <= 32767 ? 'int16' : undefined;
  if (!dtype) return undefined;
  return { grid: { scale: s4, zeroPoint: 0, bits: Math.ceil(Math.log2(hi - lo + 1)), qmin: lo, qmax: hi, dtype }, nodes: [n1, n2, n3, n4] };
}

/** True when an IntTensor is on this grid (a Quant after it changes nothing). */
export function onGrid(v: IntTensor, g: Grid): boolean {
  return v.scale === g.scale && v.zeroPoint === g.zeroPoint && v.qmin === g.qmin && v.qmax === g.qmax && v.dtype === g.dtype;
}

/** A joined input as its integer tensor, per-channel v = A·x + B (float64), and the largest reachable |x|. */
interface Source { readonly name: string; readonly dtype: string; readonly A: Float64Array; readonly B: Float64Array; readonly reach: number }

function source(lw: Lowering, n: Node, v: Accumulator | IntTensor): Source {
  if (v.kind === 'int') {
    return { name: v.name, dtype: v.dtype, A: new Float64Array(v.C).fill(v.scale), B: new Float64Array(v.C).fill(-v.zeroPoint * v.scale), reach: Math.max(Math.abs(v.qmin), Math.abs(v.qmax)) };
  }
  const bad = v.chain.steps.find(({ node }) => !isShapeOnly(node) && !(node.domain === '' && AFFINE.has(node.op)));
  if (bad) fail('BNNC_E143', `${bad.node.op} '${bad.node.name}' before this join is not affine; bnnc joins sums through Add, Sub, Mul, Div, Neg and BatchNormalization only`, lw.where(n));
  const C = v.C, probe = new Float64Array(3 * C);
  for (let c = 0; c < C; c++) { probe[C + c] = 1; probe[2 * C + c] = 1024; }
  const y = replay(lw.g, v.chain, probe, 3, true);
  const A = new Float64Array(C), B = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    B[c] = y[c]; A[c] = y[C + c] - y[c];
    const far = y[2 * C + c], expect = B[c] + 1024 * A[c];
    if (!Number.isFinite(A[c]) || !Number.isFinite(B[c]) || Math.abs(far - expect) > 1e-9 * Math.max(1, Math.abs(far))) {
      fail('BNNC_E143', `the ops before this join are not affine in the layer's sums (channel ${c})`, lw.where(n));
    }
  }
  let reach = 0;
  for (let c = 0; c < C; c++) reach = Math.max(reach, Math.abs(v.lo[c]), Math.abs(v.hi[c]));
  // an accumulator backed by an IntTensor (a chain on a k-bit stream) has that tensor's type
  return { name: v.name, dtype: backingType(lw, v.name), A, B, reach };
}

/**
 * Lowers node `n` joining `vals` when it is a residual Add of accumulators and IntTensors followed by a
 * Quant; false when the pattern is not a join this rule takes (the caller refuses it).
 */
export function lowerJoin(lw: Lowering, n: Node, vals: readonly (Value | undefined)[]): boolean {
  if (n.domain === '' && n.op === 'Concat' && vals.length === 2 && n.inputs.length === 2) return concat(lw, n, vals);
  if (n.domain !== '' || n.op !== 'Add' || vals.length !== 2) return false;
  const [a0, b0] = vals;
  if (!a0 || !b0 || (a0.kind !== 'acc' && a0.kind !== 'int') || (b0.kind !== 'acc' && b0.kind !== 'int')) return false;
  // an accumulator whose chain ends in the model's activation quantizer joins as those k-bit integers
  const [a, b] = [a0, b0].map((v, i) => (v.kind === 'acc' ? quantize(lw, n.inputs.filter((s) => s !== '' && !lw.g.initializers.has(s))[i], v) ?? v : v));
  if (a.C !== b.C || a.H !== b.H || a.W !== b.W) fail('BNNC_E031', `this Add joins [C=${a.C},H=${a.H},W=${a.W}] and [C=${b.C},H=${b.H},W=${b.W}]; bnnc joins tensors of one shape`, lw.where(n));
  const out = n.outputs[0];
  const users = lw.consumers.get(out) ?? [];
  const plain = plainGrid(lw, out);
  const grid = plain?.grid ?? (users.length === 1 && !lw.g.outputs.includes(out) ? quantGrid(lw, users[0]) : undefined);
  if (!grid) {
    fail('BNNC_E142', 'this residual Add is not followed by a quantizer that bnnc can hold the sum in (its only reader: a QONNX Quant of 2 to 16 bits with a scalar scale, an integer zero point and ROUND rounding, or x/s → Round → Clip → ·s); quantize the shortcut stream in the model, or give --calibrate data', lw.where(n));
  }
  if (plain) {
    if (!PASS.has(lw)) PASS.set(lw, new Set());
    for (const p of plain.nodes) PASS.get(lw)!.add(p);
  }
  const src = [source(lw, n, a), source(lw, n, b)];
  const C = a.C;
  const r = src.map((s) => Float64Array.from(s.A, (x) => x / grid.scale));
  const o = Float64Array.from({ length: C }, (_, c) => src[0].B[c] / grid.scale + src[1].B[c] / grid.scale + grid.zeroPoint);
  const big = (x: Float64Array) => Math.max(0, ...Array.from(x, Math.abs));
  // |t| < 2^53: each product below 2^52 − 2^31 shared by the two inputs, |k| < 2^31
  const caps = src.map((s) => Math.floor((2 ** 52 - 2 ** 31) / 2 / DTYPE_ABS[s.dtype]));
  let S = 40;
  while (S > 0 && (src.some((_, i) => Math.round(big(r[i]) * 2 ** S) > caps[i]) || Math.round(big(o) * 2 ** S) >= 2 ** 31)) S--;
  const err = (src[0].reach + src[1].reach + 1) * 2 ** -(S + 1);
  if (err > 1 / 64 || src.some((_, i) => Math.round(big(r[i]) * 2 ** S) > caps[i]) || Math.round(big(o) * 2 ** S) >= 2 ** 31) {
    fail('BNNC_E143', `the join's ratios to the output scale ${grid.scale} (up to ${Math.max(big(r[0]), big(r[1])).toPrecision(3)}, offsets up to ${big(o).toPrecision(3)}) leave too few fraction bits for a fixed-point requantization`, lw.where(n));
  }
  const fix = (x: ArrayLike<number>) => Int32Array.from(x as ArrayLike<number>, (v) => Math.round(v * 2 ** S));
  const name = lw.fresh(`${out}__int`);
  lw.emit({
    name: n.name, op: 'AddRequant', domain: 'bnnc',
    inputs: [src[0].name, src[1].name, lw.addInit(`${out}__ma`, tensor('int32', [C], fix(r[0]))), lw.addInit(`${out}__mb`, tensor('int32', [C], fix(r[1]))), lw.addInit(`${out}__k`, tensor('int32', [C], fix(o)))],
    outputs: [name], attrs: { shift: S, qmin: grid.qmin, qmax: grid.qmax, bits: grid.dtype === 'int16' ? 16 : 8, signed: grid.dtype === 'uint8' ? 0 : 1 },
  });
  lw.set(out, { kind: 'int', name, C, H: a.H, W: a.W, flat: a.kind === 'int' ? a.flat : false, dtype: grid.dtype, bits: grid.bits, qmin: grid.qmin, qmax: grid.qmax, scale: grid.scale, zeroPoint: grid.zeroPoint });
  return true;
}

/**
 * A channel Concat (axis 1 of 4-D tensors) of two packed ±1 activations (bnnc.BitConcat) or of two k-bit
 * integer tensors on one grid (bnnc.ChannelConcat; a stream quantized by the model's own quantizer first
 * takes its levels). False for other inputs (the caller refuses them).
 */
function concat(lw: Lowering, n: Node, vals: readonly (Value | undefined)[]): boolean {
  const rank = lw.shape(n.outputs[0]).length, axis = n.attrs.axis as number;
  if (rank !== 4 || (axis !== 1 && axis !== -3)) return false;
  const [a, b] = vals.map((v, i) => (v?.kind === 'acc' ? quantize(lw, n.inputs[i], v) ?? v : v));
  if (!a || !b || a.kind !== b.kind || (a.kind !== 'bits' && a.kind !== 'int')) return false;
  if (a.kind === 'int' || b.kind === 'int') {
    if (a.kind !== 'int' || b.kind !== 'int') return false;
    if (a.flat || b.flat || a.H !== b.H || a.W !== b.W) fail('BNNC_E031', 'this Concat joins integer tensors of different sizes', lw.where(n));
    const same = a.dtype === b.dtype && a.scale === b.scale && a.zeroPoint === b.zeroPoint;
    if (!same) fail('BNNC_E143', `this Concat joins integer tensors on different grids (${a.dtype} scale ${a.scale} zero point ${a.zeroPoint}, ${b.dtype} scale ${b.scale} zero point ${b.zeroPoint}); bnnc concatenates tensors of one quantizer grid`, lw.where(n));
    const name = lw.fresh(`${n.outputs[0]}__int`);
    lw.emit({ name: n.name, op: 'ChannelConcat', domain: 'bnnc', inputs: [a.name, b.name], outputs: [name], attrs: {} });
    const levels = a.levels && b.levels && a.qmin === b.qmin && a.qmax === b.qmax && a.levels.every((x, i) => x === b.levels![i]) ? a.levels : undefined;
    lw.set(n.outputs[0], { ...a, name, C: a.C + b.C, qmin: Math.min(a.qmin, b.qmin), qmax: Math.max(a.qmax, b.qmax), bits: Math.max(a.bits, b.bits), levels });
    return true;
  }
  if (a.kind !== 'bits' || b.kind !== 'bits') return false;
  if (a.flat || b.flat || a.pad || b.pad || a.H !== b.H || a.W !== b.W) fail('BNNC_E031', 'this Concat joins binary activations of different sizes, flattened or padded', lw.where(n));
  const name = lw.fresh(`${n.outputs[0]}__bits`);
  lw.emit({ name: n.name, op: 'BitConcat', domain: 'bnnc', inputs: [a.name, b.name], outputs: [name], attrs: { channels: [a.C, b.C] } });
  lw.set(n.outputs[0], { kind: 'bits', name, C: a.C + b.C, H: a.H, W: a.W, flat: false });
  return true;
}
