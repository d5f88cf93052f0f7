// AddRequant: the residual join of two integer tensors a, b (NHWC, same shape) into a k-bit integer tensor,
// integers only. Per channel c, with multipliers ma[c], mb[c], an offset k[c] and one shift S:
//   t = a·ma[c] + b·mb[c] + k[c],   y = clamp(round_half_even(t / 2^S), qmin, qmax)
// t is exact: |t| < 2^53 (checked from the input types and the constants), so TypeScript's doubles and
// C's int64_t agree. The lowering (src/lower/join.ts) derives ma, mb, k, S from the float model's
// y = Quant(A_c·a + B_c + A'_c·b + B'_c); docs/numerics.md states the rounding.
// The arithmetic is addRequant in src/numeric/int-kernels.ts (which the ts target copies).
import { fail } from '../../errors.js';
import { shapeText, tensor } from '../../ir/tensor.js';
import type { DType, Tensor, TensorType } from '../../ir/types.js';
import { addRequant } from '../../numeric/int-kernels.js';
import { kernelCall, type OpContext, type OpDef } from '../types.js';
import { need, where } from '../util.js';
import { expect4, expectVector, INTS, intAttr, withDefaults } from './common.js';
import type { CDataContext, CLayer } from '../c-layer.js';
import { INT_MAX_ABS } from './SumPool.js';

const ATTRS = {
  shift: { kind: 'int', required: true }, qmin: { kind: 'int', required: true }, qmax: { kind: 'int', required: true },
  bits: { kind: 'int', default: 8 }, signed: { kind: 'int', default: 1 },
} as const;

interface Out { dtype: DType; bits: number; unsigned: boolean; shift: number; qmin: number; qmax: number }

const RANGE: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767] };

function geometry(ctx: OpContext, ins: readonly (TensorType | undefined)[], consts: readonly (Tensor | undefined)[]): Out {
  const a = need(ctx, ins, 0), b = need(ctx, ins, 1);
  expect4(ctx, a, 0, INTS);
  expect4(ctx, b, 1, INTS);
  if (a.shape.some((d, i) => d !== b.shape[i])) fail('BNNC_E009', `the joined tensors ${shapeText(a.shape)} and ${shapeText(b.shape)} differ in shape`, where(ctx));
  const C = a.shape[3];
  for (const i of [2, 3, 4]) expectVector(ctx, need(ctx, ins, i), i, 'int32', C, ['', '', 'the multipliers of a', 'the multipliers of b', 'the offsets'][i]);
  const bits = intAttr(ctx, 'bits', { oneOf: [8, 16] });
  const unsigned = intAttr(ctx, 'signed', { oneOf: [0, 1] }) === 0;
  if (unsigned && bits !== 8) fail('BNNC_E017', 'an unsigned output is 8-bit', where(ctx));
  const dtype: DType = bits === 16 ? 'int16' : unsigned ? 'uint8' : 'int8';
  const shift = intAttr(ctx, 'shift', { min: 0 });
  const qmin = intAttr(ctx, 'qmin', {}), qmax = intAttr(ctx, 'qmax', {});
  const [lo, hi] = RANGE[dtype];
  if (shift > 62 || qmin < lo || qmax > hi || qmin > qmax) fail('BNNC_E017', `shift ${shift}, range [${qmin}, ${qmax}]: expected a shift ≤ 62 and a range within ${dtype}`, where(ctx));
  // |t| < 2^53: exact in a double and in int64_t
  const most = (t: Tensor | undefined) => (t ? Math.max(0, ...Array.from(t.data as ArrayLike<number>, Math.abs)) : 2 ** 31);
  const bound = INT_MAX_ABS[a.dtype]! * most(consts[2]) + INT_MAX_ABS[b.dtype]! * most(consts[3]) + most(consts[4]);
  if (bound >= 2 ** 53) fail('BNNC_E140', `the join's fixed-point sum may reach ${bound}, beyond 2^53`, where(ctx));
  return { dtype, bits, unsigned, shift, qmin, qmax };
}

export const AddRequant: OpDef = {
  op: 'AddRequant',
  domain: 'bnnc',
  inputs: { min: 5, max: 5 },
  outputs: { min: 1, max: 1 },
  attrs: ATTRS,
  cData: addRequantCData,
  infer(ctx0, inputs, consts) {
    const ctx = withDefaults(ctx0, ATTRS);
    return [{ dtype: geometry(ctx, inputs, consts).dtype, shape: [...need(ctx, inputs, 0).shape] }];
  },
  eval(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const o = geometry(ctx, inputs, inputs);
    const [a, b, ma, mb, k] = [0, 1, 2, 3, 4].map((i) => need(ctx, inputs, i));
    return [tensor(o.dtype, [...a.shape], addRequant(a.data, b.data, ma.data, mb.data, k.data, o.shift, o.qmin, o.qmax, o.bits, o.unsigned))];
  },
  ts(ctx0, inputs, consts) {
    const ctx = withDefaults(ctx0, ATTRS);
    const o = geometry(ctx, inputs, consts);
    const [a, b, ma, mb, k] = ctx.node.inputs;
    return kernelCall(addRequant, a, b, ma, mb, k, o.shift, o.qmin, o.qmax, o.bits, o.unsigned);
  },
};

// ---- C data (cData hook): the numbers AddRequant.c.hbs lays out.
function addRequantCData(c: CDataContext): CLayer {
  const n = c.node;
  const [a, b, ma, mb, k] = n.inputs;
  const xs = c.type(a).shape;
  const shift = n.attrs.shift as number;
  return {
    partial: 'AddRequant',
    comment: `${c.head}\n * residual join: y = clamp(round_half_even((a*ma + b*mb + k) / 2^${shift}), ${n.attrs.qmin}, ${n.attrs.qmax})`,
    call: `${c.fn}(${c.ptr(a)}, ${c.ptr(b)}, ${c.ptr(n.outputs[0])});`,
    P: xs[1] * xs[2], C: xs[3], SHIFT: shift, QMIN: n.attrs.qmin as number, QMAX: n.attrs.qmax as number,
    at: c.ctype(a), bt: c.ctype(b), yt: c.ctype(n.outputs[0]),
    ma: c.array('ma', 'int32_t', c.init(ma).data, 10),
    mb: c.array('mb', 'int32_t', c.init(mb).data, 10),
    k: c.array('k', 'int32_t', c.init(k).data, 10),
  };
}
