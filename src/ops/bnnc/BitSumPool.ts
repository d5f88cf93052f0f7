// BitSumPool: the sum of each window of packed ±1 activations, as small integers (NHWC): per channel,
// taps − 2·(number of −1 bits) over the taps inside the input. An average pool over binary activations is
// this sum over the window's k values, standing for sum/k (src/lower/avgpool.ts). `bits` (8 or 16) is the
// output's width; the window must fit it (KH·KW < 2^(bits−1)).
// The arithmetic is bitSumPool in src/numeric/int-kernels.ts (which the ts target copies).
import { fail } from '../../errors.js';
import { shapeText, tensor } from '../../ir/tensor.js';
import type { DType, TensorType } from '../../ir/types.js';
import { wordsFor } from '../../numeric/bits.js';
import { bitSumPool } from '../../numeric/int-kernels.js';
import type { Window } from '../sliding-window.js';
import { kernelCall, type OpContext, type OpDef } from '../types.js';
import { need, where } from '../util.js';
import { expect4, intAttr, kernelWin, poolTaps, window2d, WINDOW, withDefaults } from './common.js';
import { geo, type CDataContext, type CLayer } from '../c-layer.js';

const ATTRS = { ...WINDOW, channels: { kind: 'int', required: true }, bits: { kind: 'int', default: 8 } } as const;
const OUT: Record<number, DType> = { 8: 'int8', 16: 'int16' };

function geometry(ctx: OpContext, x: TensorType): { win: Window; c: number; bits: number } {
  expect4(ctx, x, 0, ['int32']);
  const c = intAttr(ctx, 'channels', { min: 1 });
  const bits = intAttr(ctx, 'bits', { oneOf: [8, 16] });
  if (x.shape[3] !== wordsFor(c)) {
    fail('BNNC_E009', `packed input ${shapeText(x.shape)} has ${x.shape[3]} words per pixel; ${c} channels need ${wordsFor(c)}`, where(ctx, ctx.node.inputs[0]));
  }
  const win = window2d(ctx, [x.shape[1], x.shape[2]], undefined);
  poolTaps(ctx, win);
  const taps = win.kernel[0] * win.kernel[1];
  if (taps > 2 ** (bits - 1) - 1) fail('BNNC_E140', `a window of ${taps} binary values may sum to ±${taps}, beyond int${bits}`, where(ctx));
  return { win, c, bits };
}

export const BitSumPool: OpDef = {
  op: 'BitSumPool',
  domain: 'bnnc',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  attrs: ATTRS,
  cData: bitSumPoolCData,
  infer(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    const { win, c, bits } = geometry(ctx, x);
    return [{ dtype: OUT[bits], shape: [x.shape[0], ...win.outSize, c] }];
  },
  eval(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    const { win, c, bits } = geometry(ctx, x);
    const n = x.shape[0];
    return [tensor(OUT[bits], [n, ...win.outSize, c], bitSumPool(x.data, n, c, kernelWin(win), bits))];
  },
  ts(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    const { win, c, bits } = geometry(ctx, x);
    return kernelCall(bitSumPool, ctx.node.inputs[0], x.shape[0], c, kernelWin(win), bits);
  },
};

// ---- C data (cData hook): the numbers BitSumPool.c.hbs lays out.
function bitSumPoolCData(c: CDataContext): CLayer {
  const n = c.node;
  const xs = c.type(n.inputs[0]).shape;
  const ks = n.attrs.kernel_shape as number[];
  const w = geo(c.window([xs[1], xs[2]], ks));
  const ch = n.attrs.channels as number;
  return {
    partial: 'BitSumPool',
    comment: `${c.head}\n * sum pool of packed +-1 values ${ks[0]}x${ks[1]}, stride ${w.SH}x${w.SW}, ${ch} channels`,
    ...w, C: ch, CW: xs[3], yt: c.ctype(n.outputs[0]),
  };
}
