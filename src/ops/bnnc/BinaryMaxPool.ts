// BinaryMaxPool: max-pooling of packed ±1 activations, packed in and out. The max of ±1 values is +1 unless
// all are −1; with bit 1 = −1 (bits.ts) that is the AND of the window's words, 32 channels at a time.
// Taps in the padding are ignored (ONNX pads max-pool with −inf); tail bits stay 0 (0 AND anything).
// The arithmetic is binaryMaxPool in src/numeric/kernels.ts (which the ts target copies).
import { fail } from '../../errors.js';
import { shapeText, tensor } from '../../ir/tensor.js';
import type { TensorType } from '../../ir/types.js';
import { wordsFor } from '../../numeric/bits.js';
import { binaryMaxPool } from '../../numeric/kernels.js';
import type { Taps, Window } from '../sliding-window.js';
import { kernelCall, type OpContext, type OpDef } from '../types.js';
import { need, where } from '../util.js';
import { expect4, intAttr, kernelWin, poolTaps, window2d, WINDOW, withDefaults } from './common.js';
import { geo, type CDataContext, type CLayer } from '../c-layer.js';

const ATTRS = { ...WINDOW, channels: { kind: 'int', required: true }, ceil_mode: { kind: 'int', default: 0 } } as const;

function geometry(ctx: OpContext, x: TensorType): { win: Window; taps: Taps } {
  expect4(ctx, x, 0, ['int32']);
  const c = intAttr(ctx, 'channels', { min: 1 });
  if (x.shape[3] !== wordsFor(c)) {
    fail('BNNC_E009', `packed input ${shapeText(x.shape)} has ${x.shape[3]} words per pixel; ${c} channels need ${wordsFor(c)}`,
      where(ctx, ctx.node.inputs[0]));
  }
  const win = window2d(ctx, [x.shape[1], x.shape[2]], undefined, intAttr(ctx, 'ceil_mode', { oneOf: [0, 1] }) === 1);
  return { win, taps: poolTaps(ctx, win) };
}

export const BinaryMaxPool: OpDef = {
  op: 'BinaryMaxPool',
  domain: 'bnnc',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  attrs: ATTRS,
  cData: binaryMaxPoolCData,
  packedBits: true,
  infer(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    return [{ dtype: 'int32', shape: [x.shape[0], ...geometry(ctx, x).win.outSize, x.shape[3]] }];
  },
  eval(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    const { win } = geometry(ctx, x);
    const [n, , , cw] = x.shape;
    return [tensor('int32', [n, ...win.outSize, cw], binaryMaxPool(x.data, n, kernelWin(win), cw))];
  },
  ts(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    return kernelCall(binaryMaxPool, ctx.node.inputs[0], x.shape[0], kernelWin(geometry(ctx, x).win), x.shape[3]);
  },
};

// ---- C data (cData hook): the numbers BinaryMaxPool.c.hbs lays out.
function binaryMaxPoolCData(c: CDataContext): CLayer {
  const n = c.node;
  const xs = c.type(n.inputs[0]).shape;
  const ks = n.attrs.kernel_shape as number[];
  const w = geo(c.window([xs[1], xs[2]], ks, n.attrs.ceil_mode === 1));
  return {
    partial: 'BinaryMaxPool',
    comment: `${c.head}\n * max pool of packed bits (AND) ${ks[0]}x${ks[1]}, stride ${w.SH}x${w.SW}`,
    ...w, CW: xs[3],
    dirs: '',
  };
}
