// SumPool: the sum of each window of an integer tensor (NHWC), over the taps inside the input; an average
// pool before a sign (or over a k-bit integer tensor) is this sum with the 1/k folded into what reads it
// (src/lower/avgpool.ts). `bits` (16 or 32) is the output's width; no sum may overflow it (checked from the
// input's type, taps · max|x| < 2^(bits−1), for 8- and 16-bit inputs; from the reachable sums by the
// lowering for int32 accumulators).
// The arithmetic is sumPool in src/numeric/int-kernels.ts (which the ts target copies).
import { fail } from '../../errors.js';
import { tensor } from '../../ir/tensor.js';
import type { DType, TensorType } from '../../ir/types.js';
import { sumPool } from '../../numeric/int-kernels.js';
import type { Window } from '../sliding-window.js';
import { kernelCall, type OpContext, type OpDef } from '../types.js';
import { need, where } from '../util.js';
import { expect4, intAttr, kernelWin, poolTaps, window2d, WINDOW, withDefaults } from './common.js';
import { geo, type CDataContext, type CLayer } from '../c-layer.js';

const ATTRS = { ...WINDOW, bits: { kind: 'int', default: 32 } } as const;

/** The largest |value| of each integer input type. */
export const INT_MAX_ABS: Partial<Record<DType, number>> = { uint8: 255, int8: 128, int16: 32768, int32: 2 ** 31 };
const OUT: Record<number, DType> = { 16: 'int16', 32: 'int32' };

function geometry(ctx: OpContext, x: TensorType): { win: Window; bits: number } {
  expect4(ctx, x, 0, ['uint8', 'int8', 'int16', 'int32']);
  const bits = intAttr(ctx, 'bits', { oneOf: [16, 32] });
  const win = window2d(ctx, [x.shape[1], x.shape[2]], undefined);
  poolTaps(ctx, win);
  // int32 sums (accumulators) are bounded by their reachable range, which the lowering checks (avgpool.ts)
  const most = win.kernel[0] * win.kernel[1] * INT_MAX_ABS[x.dtype]!;
  if (x.dtype !== 'int32' && most > 2 ** (bits - 1) - 1) fail('BNNC_E140', `a window of ${win.kernel.join('x')} ${x.dtype} values may sum to ${most}, beyond int${bits}`, where(ctx));
  return { win, bits };
}

export const SumPool: OpDef = {
  op: 'SumPool',
  domain: 'bnnc',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  attrs: ATTRS,
  cData: sumPoolCData,
  infer(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    const { win, bits } = geometry(ctx, x);
    return [{ dtype: OUT[bits], shape: [x.shape[0], ...win.outSize, x.shape[3]] }];
  },
  eval(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    const { win, bits } = geometry(ctx, x);
    const [n, , , c] = x.shape;
    return [tensor(OUT[bits], [n, ...win.outSize, c], sumPool(x.data, n, c, kernelWin(win), bits))];
  },
  ts(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    const { win, bits } = geometry(ctx, x);
    return kernelCall(sumPool, ctx.node.inputs[0], x.shape[0], x.shape[3], kernelWin(win), bits);
  },
};

// ---- C data (cData hook): the numbers SumPool.c.hbs lays out.
function sumPoolCData(c: CDataContext): CLayer {
  const n = c.node;
  const xs = c.type(n.inputs[0]).shape;
  const ks = n.attrs.kernel_shape as number[];
  const w = geo(c.window([xs[1], xs[2]], ks));
  return {
    partial: 'SumPool',
    comment: `${c.head}\n * sum pool ${ks[0]}x${ks[1]}, stride ${w.SH}x${w.SW}, ${xs[3]} channels`,
    ...w, C: xs[3], yt: c.ctype(n.outputs[0]),
  };
}
