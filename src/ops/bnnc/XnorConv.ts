// XnorConv: binary convolution (a dense layer is the 1×1 case) of packed ±1 activations with packed ±1
// weights, giving exact int32 sums. The reference for every C kernel, which must match it bit for bit.
//
// Output m at (n, oh, ow), g = m's group (M/group outputs per group), over the kernel taps t = (kh, kw):
//   y = Σ_{t inside the input} dot(x_t, w_{m,t}) + pad_value · Σ_{t in the padding} Σ_j w_{m,t,j}
// with x_t the Cg channels g·Cg … g·Cg+Cg−1 of the input pixel under tap t. On packed rows (bits.ts):
//   dot(x_t, w_{m,t}) = Cg − 2·popcount(x_t XOR w_{m,t}),   Σ_j w_{m,t,j} = Cg − 2·popcount(w_{m,t}).
// pad_value 0 is ONNX's zero padding of the ±1 tensor (a padding tap adds nothing); ±1 pads with that value.
// The arithmetic is xnorConv in src/numeric/kernels.ts (which the ts target copies).
import { fail } from '../../errors.js';
import { shapeText, tensor } from '../../ir/tensor.js';
import type { Tensor, TensorType } from '../../ir/types.js';
import { popcount32, tailMask, wordsFor } from '../../numeric/bits.js';
import { xnorConv } from '../../numeric/kernels.js';
import type { Window } from '../sliding-window.js';
import { kernelCall, type OpContext, type OpDef } from '../types.js';
import { need, where } from '../util.js';
import { expect4, intAttr, kernelWin, window2d, WINDOW, withDefaults } from './common.js';
import { geo, type CDataContext, type XnorConvLayer } from '../c-layer.js';
import type { ConvTail } from './ConvThreshold.js';

const ATTRS = {
  ...WINDOW,
  channels: { kind: 'int', required: true },
  group: { kind: 'int', default: 1 },
  pad_value: { kind: 'int', default: 0 },
} as const;

interface Geometry { c: number; group: number; cg: number; pad: number; win: Window }

function geometry(ctx: OpContext, x: TensorType, w: TensorType, wConst?: Tensor): Geometry {
  expect4(ctx, x, 0, ['int32']);
  expect4(ctx, w, 1, ['int32']);
  const c = intAttr(ctx, 'channels', { min: 1 });
  const group = intAttr(ctx, 'group', { min: 1 });
  const pad = intAttr(ctx, 'pad_value', { oneOf: [0, 1, -1] });
  const [m, kh, kw, cgw] = w.shape;
  if (x.shape[3] !== wordsFor(c)) {
    fail('BNNC_E009', `packed input ${shapeText(x.shape)} has ${x.shape[3]} words per pixel; ${c} channels need ${wordsFor(c)}`,
      where(ctx, ctx.node.inputs[0]));
  }
  if (c % group !== 0 || m % group !== 0) {
    fail('BNNC_E009', `group ${group} must divide the ${c} input channels and the ${m} output channels`, where(ctx));
  }
  const cg = c / group;
  if (cgw !== wordsFor(cg)) {
    fail('BNNC_E009', `packed weight ${shapeText(w.shape)} has ${cgw} words per tap; ${cg} channels per group need ${wordsFor(cg)}`,
      where(ctx, ctx.node.inputs[1]));
  }
  if (wConst) {
    const mask = ~tailMask(cg);
    for (let k = cgw - 1; k < wConst.data.length; k += cgw) {
      if (wConst.data[k] & mask) fail('BNNC_E011', `weight word ${k} has bits set beyond channel ${cg}`, where(ctx, ctx.node.inputs[1]));
    }
  }
  return { c, group, cg, pad, win: window2d(ctx, [x.shape[1], x.shape[2]], [kh, kw]) };
}

export const XnorConv: OpDef = {
  op: 'XnorConv',
  domain: 'bnnc',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: ATTRS,
  cData: (c) => xnorConvCData(c),
  infer(ctx0, inputs, consts) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0), w = need(ctx, inputs, 1);
    const { win } = geometry(ctx, x, w, consts[1]);
    return [{ dtype: 'int32', shape: [x.shape[0], ...win.outSize, w.shape[0]] }];
  },
  eval(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0), w = need(ctx, inputs, 1);
    const { c, group, pad, win } = geometry(ctx, x, w);
    const y = xnorConv(x.data, w.data, x.shape[0], kernelWin(win), c, group, pad);
    return [tensor('int32', [x.shape[0], ...win.outSize, w.shape[0]], y)];
  },
  ts(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    const { c, group, pad, win } = geometry(ctx, x, need(ctx, inputs, 1));
    return kernelCall(xnorConv, ctx.node.inputs[0], ctx.node.inputs[1], x.shape[0], kernelWin(win), c, group, pad);
  },
};

// ---- C data (cData hook): the numbers XnorConv.c.hbs and XnorConvGrouped.c.hbs lay out; also the conv half
// of XnorConvThreshold and XnorConvPoolThreshold (ConvThreshold.ts), whose tail adds the rest.
export function xnorConvCData(c: CDataContext, tail?: ConvTail): XnorConvLayer {
  const n = c.node;
  const xs = c.type(n.inputs[0]).shape;
  const wt = c.init(n.inputs[1]);
  const [m, kh, kw, cgw] = wt.shape;
  const ch = n.attrs.channels as number, group = (n.attrs.group as number | undefined) ?? 1, cg = ch / group;
  const pad = (n.attrs.pad_value as number | undefined) ?? 0;
  const w = geo(c.window([xs[1], xs[2]], [kh, kw]));
  const weights = c.array('weights', 'uint32_t', wt.data, 6);
  // Σ_j w over each tap and over all taps (the padded sum's correction)
  const nK = kh * kw;
  const wSum: number[] = [], wTotal: number[] = [];
  for (let mi = 0; mi < m; mi++) {
    let tot = 0;
    for (let t = 0; t < nK; t++) {
      let d = 0;
      for (let k = 0; k < cgw; k++) {
        const v = k === cgw - 1 ? wt.data[(mi * nK + t) * cgw + k] & tailMask(cg) : wt.data[(mi * nK + t) * cgw + k];
        d += popcount32(v);
      }
      wSum.push(cg - 2 * d);
      tot += cg - 2 * d;
    }
    wTotal.push(tot);
  }
  const padded = pad !== 0;
  c.macs(w.OH * w.OW * m * cg * nK);
  // arrays in the order the C declares them: a pool tail's before wsum and wtotal, a threshold tail's after
  const early = tail?.pooled ? tail.fields(c, m, w) : undefined;
  const wsum = padded ? c.array('wsum', 'int32_t', wSum, 12) : '';
  const wtotal = padded ? c.array('wtotal', 'int32_t', wTotal, 12) : '';
  const t = early ?? tail?.fields(c, m, w);
  return {
    kind: 'xnor-conv', xt: 'uint32_t', partial: group !== 1 ? 'XnorConvGrouped' : tail ? tail.partial : 'XnorConv', padded,
    comment: `${c.head}\n * binary conv ${kh}x${kw}, ${ch} -> ${m} channels, group ${group}, stride ${w.SH}x${w.SW}, pads ${w.PT},${w.PL} (value ${pad})${t?.note ?? ''}; ${w.OH * w.OW * m * cg * nK} binary MACs`,
    ...w, M: m, CW: xs[3], CG: cg, CGW: cgw, G: group, MG: m / group, PAD: pad, TAIL: tailMask(cg),
    LASTK: cgw === 1 ? '' : `k == ${cgw - 1}`, // the tail word's test (none with one word per group)
    weights, wsum, wtotal,
    decls: `int32_t oh, ow, m, kh, kw, k, d, taps, s${padded ? ', inside' : ''}${tail ? ', q, b' : ''};`,
    sumExpr: padded ? `s = ${cg} * taps - 2 * d + (${pad}) * (${wtotal}[m] - inside);` : `s = ${cg} * taps - 2 * d;`,
    ...t?.fields,
  };
}
