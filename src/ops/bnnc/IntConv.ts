// IntConv: the first layer, on integer inputs (pixels): an exact integer convolution with small integer
// weights (±1 for a binary layer), giving int32 sums in NHWC that a Threshold then packs.
//
//   y[n, oh, ow, m] = Σ_{j < Cg} Σ_{taps t inside the input} (x[n, g·Cg + j, ih_t, iw_t] − zero_point) · w[m, j, t]
// A tap in the padding adds nothing: ONNX zero-pads the real-valued input x − zero_point, i.e. pads x with
// zero_point. No int32 sum can overflow: infer bounds |y| ≤ Σ|w| · max|x − zero_point| below 2^31.
// The arithmetic is intConv in src/numeric/kernels.ts (which the ts target copies).
import { fail } from '../../errors.js';
import { shapeText, tensor } from '../../ir/tensor.js';
import type { DType, Tensor, TensorType } from '../../ir/types.js';
import { intConv } from '../../numeric/kernels.js';
import type { Window } from '../sliding-window.js';
import { kernelCall, type OpContext, type OpDef } from '../types.js';
import { need, where } from '../util.js';
import { expect4, INTS, intAttr, kernelWin, layoutAttr, window2d, WINDOW, withDefaults } from './common.js';
import { wordsFor } from '../../numeric/bits.js';
import { geo, type CDataContext, type IntConvLayer } from '../c-layer.js';
import type { ConvTail } from './ConvThreshold.js';

const ATTRS = {
  ...WINDOW,
  layout: { kind: 'string', default: 'NCHW' },
  zero_point: { kind: 'int', default: 0 },
  group: { kind: 'int', default: 1 },
  // the input's value range when it is narrower than its dtype's (a k-bit tensor stored as int8/uint8);
  // absent: the dtype's range. The optimized kernels size their packed sums by it (kernels/int-lanes.ts).
  qmin: { kind: 'int' },
  qmax: { kind: 'int' },
} as const;

const RANGE: Partial<Record<DType, [number, number]>> = {
  uint8: [0, 255], int8: [-128, 127], int16: [-32768, 32767], int32: [-(2 ** 31), 2 ** 31 - 1],
};

/**
 * The input's value range: the attributes qmin/qmax (a k-bit tensor stored as int8/uint8, values inside the
 * dtype's range, qmin ≤ qmax), each defaulting to its end of the dtype's range. A value outside it is outside
 * the op's contract: the interpreter still sums it, an optimized C kernel sized by the range need not.
 */
export function valueRange(ctx: OpContext, dtype: DType): [number, number] {
  const [lo, hi] = RANGE[dtype]!;
  const qmin = (ctx.node.attrs.qmin as number | undefined) ?? lo, qmax = (ctx.node.attrs.qmax as number | undefined) ?? hi;
  if (!(Number.isInteger(qmin) && Number.isInteger(qmax) && lo <= qmin && qmin <= qmax && qmax <= hi)) {
    fail('BNNC_E130', `value range [${qmin}, ${qmax}] is not an integer range inside ${dtype}'s [${lo}, ${hi}]`, where(ctx));
  }
  return [qmin, qmax];
}

/** [N, C, H, W] whatever the layout, and the strides of those four axes in x's data. */
function dims(x: TensorType, layout: 'NCHW' | 'NHWC'): { nchw: number[]; str: number[] } {
  if (layout === 'NCHW') {
    const [n, c, h, w] = x.shape;
    return { nchw: [n, c, h, w], str: [c * h * w, h * w, w, 1] };
  }
  const [n, h, w, c] = x.shape;
  return { nchw: [n, c, h, w], str: [h * w * c, 1, w * c, c] };
}

interface Geometry { group: number; zp: number; nchw: number[]; str: number[]; win: Window }

function geometry(ctx: OpContext, x: TensorType, w: TensorType, wConst?: Tensor): Geometry {
  expect4(ctx, x, 0, INTS);
  expect4(ctx, w, 1, ['int8']);
  const layout = layoutAttr(ctx);
  const group = intAttr(ctx, 'group', { min: 1 });
  const zp = intAttr(ctx, 'zero_point', {});
  const { nchw, str } = dims(x, layout);
  const c = nchw[1], [m, cg, kh, kw] = w.shape;
  if (c % group !== 0 || m % group !== 0 || cg * group !== c) {
    fail('BNNC_E009', `weight ${shapeText(w.shape)} with group ${group} does not fit the ${c} channels of ${layout} input ${shapeText(x.shape)}`,
      where(ctx, ctx.node.inputs[1]));
  }
  // |y| ≤ Σ_{j,t} |w| · max|x − zp|; with the weights unknown, |w| ≤ 128
  const [lo, hi] = valueRange(ctx, x.dtype);
  const xMax = Math.max(Math.abs(lo - zp), Math.abs(hi - zp));
  let wAbs = 128 * cg * kh * kw;
  if (wConst) {
    wAbs = 0;
    const per = cg * kh * kw;
    for (let mi = 0; mi < m; mi++) {
      let s = 0;
      for (let k = 0; k < per; k++) s += Math.abs(wConst.data[mi * per + k]);
      wAbs = Math.max(wAbs, s);
    }
  }
  if (wAbs * xMax > 2 ** 31 - 1) {
    fail('BNNC_E031', `sums may reach ${wAbs} · ${xMax} = ${wAbs * xMax}, beyond int32 (${x.dtype} input, zero_point ${zp})`, where(ctx));
  }
  return { group, zp, nchw, str, win: window2d(ctx, [nchw[2], nchw[3]], [kh, kw]) };
}

export const IntConv: OpDef = {
  op: 'IntConv',
  domain: 'bnnc',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: ATTRS,
  cData: (c) => intConvCData(c),
  infer(ctx0, inputs, consts) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0), w = need(ctx, inputs, 1);
    const { nchw, win } = geometry(ctx, x, w, consts[1]);
    return [{ dtype: 'int32', shape: [nchw[0], ...win.outSize, w.shape[0]] }];
  },
  eval(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0), w = need(ctx, inputs, 1);
    const { group, zp, nchw, win } = geometry(ctx, x, w, w);
    const y = intConv(x.data, w.data, nchw[0], kernelWin(win), nchw[1], group, zp, layoutAttr(ctx) === 'NCHW');
    return [tensor('int32', [nchw[0], ...win.outSize, w.shape[0]], y)];
  },
  ts(ctx0, inputs, consts) {
    const ctx = withDefaults(ctx0, ATTRS);
    const { group, zp, nchw, win } = geometry(ctx, need(ctx, inputs, 0), need(ctx, inputs, 1), consts[1]);
    return kernelCall(intConv, ctx.node.inputs[0], ctx.node.inputs[1], nchw[0], kernelWin(win), nchw[1], group, zp, layoutAttr(ctx) === 'NCHW');
  },
};

// ---- C data (cData hook): the numbers IntConv.c.hbs lays out; also the conv half of IntConvThreshold and
// IntConvPoolThreshold (ConvThreshold.ts), whose tail adds the rest.
export function intConvCData(c: CDataContext, tail?: ConvTail): IntConvLayer {
  const n = c.node;
  const xs = c.type(n.inputs[0]).shape;
  const wt = c.init(n.inputs[1]);
  const [m, cg, kh, kw] = wt.shape;
  const nchw = n.attrs.layout !== 'NHWC';
  const [, ch, h, wd] = nchw ? xs : [xs[0], xs[3], xs[1], xs[2]];
  const str = nchw ? [h * wd, wd, 1] : [1, wd * ch, ch];
  const group = (n.attrs.group as number | undefined) ?? 1;
  const w = geo(c.window([h, wd], [kh, kw]));
  c.macs(w.OH * w.OW * m * cg * kh * kw);
  // ±1 weights (every binary first layer) are stored one bit each, bit 1 = −1 as everywhere else (flat
  // index i = ((m·CG + j)·KH + kh)·KW + kw, word i/32, bit i%32); the sum takes v = x − zp or −v by the
  // bit, as (v XOR mask) − mask with mask = −bit. Any other weight keeps one int8 each.
  // With KW ≤ 32 a row's bits are read once from two words and shifted out tap by tap (a spare zero word
  // ends the array so the second read stays inside it).
  const vals = Array.from(wt.data as ArrayLike<number>);
  const bits = vals.every((v) => v === 1 || v === -1);
  const rowBits = bits && kw <= 32;
  const packedW = new Array<number>(bits ? wordsFor(vals.length) + (rowBits ? 1 : 0) : 0).fill(0);
  if (bits) vals.forEach((v, i) => { if (v === -1) packedW[i >> 5] |= 1 << (i & 31); });
  const weights = bits ? c.array('weights', 'uint32_t', packedW, 6) : c.array('weights', 'int8_t', vals, 16);
  const t = tail?.fields(c, m, w);
  return {
    kind: 'int-conv', partial: tail ? tail.partial : 'IntConv', packedW: bits, rowBits,
    comment: `${c.head}\n * integer conv ${kh}x${kw}, ${ch} -> ${m} channels, group ${group}, stride ${w.SH}x${w.SW}${t?.note ?? ''}; ${w.OH * w.OW * m * cg * kh * kw} MACs; ${bits ? '+-1 weights, 1 bit each (bit 1 = -1)' : 'int8 weights'}`,
    ...w, M: m, CG: cg, G: group, MG: m / group, ZP: (n.attrs.zero_point as number | undefined) ?? 0,
    QMIN: (n.attrs.qmin as number | undefined) ?? RANGE[c.type(n.inputs[0]).dtype]![0], QMAX: (n.attrs.qmax as number | undefined) ?? RANGE[c.type(n.inputs[0]).dtype]![1],
    SC: str[0], SY: str[1], SX: str[2], weights,
    decls: `int32_t oh, ow, q, b, m, j, kh, kw, s;\n    const int32_t c0 = 0;`,
    ...t?.fields,
  };
}
