// TopK: the k largest (or smallest) elements along an axis, with their int64 indices. Equal values keep
// index order (lower index first), as onnxruntime does; NaN ranks above +Inf. Output is always sorted
// (ONNX leaves the order unspecified for sorted = 0). k is an attribute before opset 10, then a constant input.
// The arithmetic is topK in src/numeric/kernels.ts (which the ts target copies).
import { fail } from '../errors.js';
import { normAxis, sizeOf, tensor } from '../ir/tensor.js';
import type { Tensor, TensorType } from '../ir/types.js';
import { topK } from '../numeric/kernels.js';
import { kernelCall, type OpContext, type OpDef } from './types.js';
import { expectDType, need, needConst, NUMERIC, where } from './util.js';

function params(ctx: OpContext, x: TensorType, kInput: Tensor | undefined): { axis: number; k: number } {
  const rank = x.shape.length;
  const axis = normAxis(ctx.attrs.axis as number, rank);
  if (axis === undefined) fail('BNNC_E006', `axis ${ctx.attrs.axis} is out of range for rank ${rank}`, where(ctx));
  let k: number;
  if (ctx.opset < 10) {
    if (ctx.attrs.k === undefined) fail('BNNC_E006', "attribute 'k' is required before opset 10", where(ctx));
    k = ctx.attrs.k as number;
  } else {
    if (kInput === undefined) fail('BNNC_E007', 'input 1 (k) is required from opset 10', where(ctx));
    if (kInput.dtype !== 'int64' || kInput.data.length !== 1) {
      fail('BNNC_E010', `k is ${kInput.dtype}[${kInput.shape}]; expected int64 of shape [1]`, where(ctx, ctx.node.inputs[1]));
    }
    k = kInput.data[0];
  }
  if (k < 0 || k > x.shape[axis]) fail('BNNC_E009', `k = ${k} but axis ${axis} has ${x.shape[axis]} elements`, where(ctx));
  return { axis, k };
}

export const TopK: OpDef = {
  op: 'TopK',
  domain: '',
  inputs: { min: 1, max: 2 },
  outputs: { min: 2, max: 2 },
  attrs: {
    axis: { kind: 'int', default: -1 }, k: { kind: 'int' },
    largest: { kind: 'int', default: 1 }, sorted: { kind: 'int', default: 1 },
  },
  infer(ctx, inputs, consts) {
    const x = need(ctx, inputs, 0);
    expectDType(ctx, x, 0, NUMERIC);
    if (ctx.opset >= 10) need(ctx, inputs, 1);
    const { axis, k } = params(ctx, x, ctx.opset < 10 ? undefined : needConst(ctx, consts, 1));
    const shape = x.shape.map((d, i) => (i === axis ? k : d));
    return [{ dtype: x.dtype, shape }, { dtype: 'int64', shape }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const { axis, k } = params(ctx, x, inputs[1]);
    const shape = x.shape.map((d, i) => (i === axis ? k : d));
    const [outer, n, inner] = [sizeOf(x.shape.slice(0, axis)), x.shape[axis], sizeOf(x.shape.slice(axis + 1))];
    const [values, indices] = topK(x.data, outer, n, inner, k, ctx.attrs.largest !== 0);
    return [{ dtype: x.dtype, shape, data: values }, tensor('int64', shape, indices)];
  },
  ts(ctx, inputs, consts) {
    const x = need(ctx, inputs, 0);
    const { axis, k } = params(ctx, x, consts[1]);
    const [outer, n, inner] = [sizeOf(x.shape.slice(0, axis)), x.shape[axis], sizeOf(x.shape.slice(axis + 1))];
    return kernelCall(topK, ctx.node.inputs[0], outer, n, inner, k, ctx.attrs.largest !== 0);
  },
};
