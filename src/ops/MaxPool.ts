// MaxPool: the largest input value in each window (kernel, strides, dilations, pads or auto_pad,
// ceil_mode), by `if (x > max) max = x` from −∞: padding never wins, nor does NaN (onnxruntime's NaN
// handling depends on position). No arithmetic, so exact. The optional Indices output is not supported.
import { fail } from '../errors.js';
import { shapeText, sizeOf, tensor } from '../ir/tensor.js';
import type { TensorType } from '../ir/types.js';
import { resolveWindow, WINDOW_ATTRS, windowTaps, type Window } from './sliding-window.js';
import type { OpContext, OpDef } from './types.js';
import { attrInt, attrInts, expectDType, need, where } from './util.js';

function geometry(ctx: OpContext, x: TensorType): Window {
  expectDType(ctx, x, 0, ['float32', 'float64', 'int8', 'uint8']);
  if (ctx.node.outputs[1]) {
    fail('BNNC_E017', 'the optional Indices output is not supported; remove it or use a MaxPool without it', where(ctx, ctx.node.outputs[1]));
  }
  if (x.shape.length < 3) fail('BNNC_E009', `input has shape ${shapeText(x.shape)}; MaxPool needs [N, C, spatial…]`, where(ctx, ctx.node.inputs[0]));
  const kernel = attrInts(ctx, 'kernel_shape');
  if (!kernel) fail('BNNC_E006', "attribute 'kernel_shape' (ints) is required", where(ctx));
  return resolveWindow(ctx, x.shape.slice(2), kernel, attrInt(ctx, 'ceil_mode') !== 0, true);
}

export const MaxPool: OpDef = {
  op: 'MaxPool',
  domain: '',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 2 },
  attrs: { ...WINDOW_ATTRS, ceil_mode: { kind: 'int', default: 0 }, storage_order: { kind: 'int', default: 0 } },
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...geometry(ctx, x).outSize] }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const win = geometry(ctx, x);
    const { start, off } = windowTaps(win);
    const planes = x.shape[0] * x.shape[1], inPlane = sizeOf(win.inSize), outPlane = sizeOf(win.outSize);
    const y = tensor(x.dtype, [x.shape[0], x.shape[1], ...win.outSize]);
    const xd = x.data, yd = y.data;
    for (let q = 0; q < planes; q++) {
      for (let p = 0; p < outPlane; p++) {
        let v = -Infinity;
        for (let j = start[p]; j < start[p + 1]; j++) {
          const e = xd[q * inPlane + off[j]];
          if (e > v) v = e;
        }
        yd[q * outPlane + p] = v;
      }
    }
    return [y];
  },
};
