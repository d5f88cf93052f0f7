// AccPool: max-pooling moved before the threshold, on the int32 sums. The threshold's affine map
// a ↦ s·a + b is increasing (s > 0) or decreasing (s < 0) per channel, and max(f(a)) = f(max a) for an
// increasing f but f(min a) for a decreasing one: D[c] = +1 pools the max, −1 the min. Window as MaxPool's
// (ceil_mode included); taps in the padding are ignored.
// The arithmetic is accPool in src/numeric/kernels.ts (which the ts target copies).
import { tensor } from '../../ir/tensor.js';
import type { Tensor, TensorType } from '../../ir/types.js';
import { accPool } from '../../numeric/kernels.js';
import type { Taps, Window } from '../sliding-window.js';
import { kernelCall, type OpContext, type OpDef } from '../types.js';
import { need } from '../util.js';
import { expect4, expectValues, expectVector, intAttr, kernelWin, poolTaps, window2d, WINDOW, withDefaults } from './common.js';
import { geo, type CDataContext, type CLayer } from '../c-layer.js';

const ATTRS = { ...WINDOW, ceil_mode: { kind: 'int', default: 0 } } as const;

function geometry(ctx: OpContext, x: TensorType, d: TensorType, dConst?: Tensor): { win: Window; taps: Taps } {
  expect4(ctx, x, 0, ['int32']);
  expectVector(ctx, d, 1, 'int8', x.shape[3], 'the direction vector');
  expectValues(ctx, dConst, 1, [1, -1], 'direction');
  const win = window2d(ctx, [x.shape[1], x.shape[2]], undefined, intAttr(ctx, 'ceil_mode', { oneOf: [0, 1] }) === 1);
  return { win, taps: poolTaps(ctx, win) };
}

export const AccPool: OpDef = {
  op: 'AccPool',
  domain: 'bnnc',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: ATTRS,
  cData: accPoolCData,
  infer(ctx0, inputs, consts) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    return [{ dtype: 'int32', shape: [x.shape[0], ...geometry(ctx, x, need(ctx, inputs, 1), consts[1]).win.outSize, x.shape[3]] }];
  },
  eval(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0), d = need(ctx, inputs, 1);
    const { win } = geometry(ctx, x, d, d);
    const [n, , , c] = x.shape;
    return [tensor('int32', [n, ...win.outSize, c], accPool(x.data, d.data, n, kernelWin(win)))];
  },
  ts(ctx0, inputs, consts) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    const { win } = geometry(ctx, x, need(ctx, inputs, 1), consts[1]);
    return kernelCall(accPool, ctx.node.inputs[0], ctx.node.inputs[1], x.shape[0], kernelWin(win));
  },
};

// ---- C data (cData hook): the numbers AccPool.c.hbs lays out.
function accPoolCData(c: CDataContext): CLayer {
  const n = c.node;
  const xs = c.type(n.inputs[0]).shape;
  const ks = n.attrs.kernel_shape as number[];
  const w = geo(c.window([xs[1], xs[2]], ks, n.attrs.ceil_mode === 1));
  return {
    partial: 'AccPool',
    comment: `${c.head}\n * max/min pool of int32 sums ${ks[0]}x${ks[1]}, stride ${w.SH}x${w.SW}`,
    ...w, CW: xs[3],
    dirs: c.array('dirs', 'int8_t', c.init(n.inputs[1]).data, 16),
  };
}
