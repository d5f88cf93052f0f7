// BinaryMaxPool: max-pooling of packed ±1 activations, packed in and out. The max of ±1 values is +1 unless
// all are −1; with bit 1 = −1 (bits.ts) that is the AND of the window's words, 32 channels at a time.
// Taps in the padding are ignored (ONNX pads max-pool with −inf); tail bits stay 0 (0 AND anything).
import { fail } from '../../errors.js';
import { shapeText, sizeOf, tensor } from '../../ir/tensor.js';
import type { TensorType } from '../../ir/types.js';
import { wordsFor } from '../../numeric/bits.js';
import type { Taps, Window } from '../sliding-window.js';
import type { OpContext, OpDef } from '../types.js';
import { need, where } from '../util.js';
import { expect4, intAttr, poolTaps, window2d, WINDOW, withDefaults } from './common.js';

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
  infer(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    return [{ dtype: 'int32', shape: [x.shape[0], ...geometry(ctx, x).win.outSize, x.shape[3]] }];
  },
  eval(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0);
    const { win, taps: { start, off } } = geometry(ctx, x);
    const [n, h, w, cw] = x.shape;
    const outPlane = sizeOf(win.outSize);
    const y = tensor('int32', [n, ...win.outSize, cw]);
    const xd = x.data, yd = y.data;
    for (let ni = 0; ni < n; ni++) {
      for (let p = 0; p < outPlane; p++) {
        for (let k = 0; k < cw; k++) {
          let v = -1;
          for (let j = start[p]; j < start[p + 1]; j++) v &= xd[(ni * h * w + off[j]) * cw + k];
          yd[(ni * outPlane + p) * cw + k] = v;
        }
      }
    }
    return [y];
  },
};
