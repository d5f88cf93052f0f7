// AveragePool: the mean of each window (kernel, strides, dilations, pads or auto_pad, ceil_mode), dividing
// by the taps inside the input, or inside the padded input with count_include_pad. float32 order: the sum
// in row-major kernel order from 0, acc = fl(acc + x), then one division fl(acc / count).
import { fail } from '../errors.js';
import { rounderFor, shapeText, sizeOf, tensor } from '../ir/tensor.js';
import type { TensorType } from '../ir/types.js';
import { resolveWindow, WINDOW_ATTRS, windowTaps, type Window } from './sliding-window.js';
import type { OpContext, OpDef } from './types.js';
import { attrInt, attrInts, expectDType, FLOATS, need, where } from './util.js';

function geometry(ctx: OpContext, x: TensorType): Window {
  expectDType(ctx, x, 0, FLOATS);
  if (x.shape.length < 3) fail('BNNC_E009', `input has shape ${shapeText(x.shape)}; AveragePool needs [N, C, spatial…]`, where(ctx, ctx.node.inputs[0]));
  const kernel = attrInts(ctx, 'kernel_shape');
  if (!kernel) fail('BNNC_E006', "attribute 'kernel_shape' (ints) is required", where(ctx));
  return resolveWindow(ctx, x.shape.slice(2), kernel, attrInt(ctx, 'ceil_mode') !== 0, true);
}

export const AveragePool: OpDef = {
  op: 'AveragePool',
  domain: '',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  attrs: { ...WINDOW_ATTRS, ceil_mode: { kind: 'int', default: 0 }, count_include_pad: { kind: 'int', default: 0 } },
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...geometry(ctx, x).outSize] }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const win = geometry(ctx, x);
    const { start, off, padded } = windowTaps(win);
    const includePad = attrInt(ctx, 'count_include_pad') !== 0;
    const round = rounderFor(x.dtype);
    const planes = x.shape[0] * x.shape[1], inPlane = sizeOf(win.inSize), outPlane = sizeOf(win.outSize);
    const y = tensor(x.dtype, [x.shape[0], x.shape[1], ...win.outSize]);
    const xd = x.data, yd = y.data;
    for (let q = 0; q < planes; q++) {
      for (let p = 0; p < outPlane; p++) {
        let acc = 0;
        for (let j = start[p]; j < start[p + 1]; j++) acc = round(acc + xd[q * inPlane + off[j]]);
        yd[q * outPlane + p] = round(acc / (includePad ? padded[p] : start[p + 1] - start[p]));
      }
    }
    return [y];
  },
};
