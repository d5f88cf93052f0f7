// Gather: picks slices of `data` along `axis` (negative from the end) by int32/int64 indices (negative from
// the axis' end); the output shape is data[:axis] + indices + data[axis+1:]. Exact (a copy).
import { fail } from '../errors.js';
import { normAxis, shapeText, sizeOf, tensor } from '../ir/tensor.js';
import type { Tensor, TensorType } from '../ir/types.js';
import type { OpContext, OpDef } from './types.js';
import { attrInt, expectDType, need, where } from './util.js';

function axisOf(ctx: OpContext, data: TensorType, indices: TensorType): number {
  expectDType(ctx, indices, 1, ['int32', 'int64']);
  const axis = normAxis(attrInt(ctx, 'axis'), data.shape.length);
  if (axis === undefined) fail('BNNC_E006', `axis ${attrInt(ctx, 'axis')} is out of range for data of shape ${shapeText(data.shape)}`, where(ctx));
  return axis;
}

function checkIndices(ctx: OpContext, indices: Tensor, dim: number): void {
  for (const v of indices.data) {
    if (v < -dim || v >= dim) fail('BNNC_E009', `index ${v} is out of range for an axis of size ${dim}`, where(ctx, ctx.node.inputs[1]));
  }
}

export const Gather: OpDef = {
  op: 'Gather',
  domain: '',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: { axis: { kind: 'int', default: 0 } },
  infer(ctx, inputs, consts) {
    const data = need(ctx, inputs, 0), indices = need(ctx, inputs, 1);
    const axis = axisOf(ctx, data, indices);
    if (consts[1]) checkIndices(ctx, consts[1], data.shape[axis]);
    return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)] }];
  },
  eval(ctx, inputs) {
    const data = need(ctx, inputs, 0), indices = need(ctx, inputs, 1);
    const axis = axisOf(ctx, data, indices);
    const dim = data.shape[axis];
    checkIndices(ctx, indices, dim);
    const y = tensor(data.dtype, [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)]);
    const outer = sizeOf(data.shape.slice(0, axis)), inner = sizeOf(data.shape.slice(axis + 1));
    const n = indices.data.length;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < n; j++) {
        const at = indices.data[j] < 0 ? indices.data[j] + dim : indices.data[j];
        const src = (o * dim + at) * inner;
        y.data.set(data.data.subarray(src, src + inner), (o * n + j) * inner);
      }
    }
    return [y];
  },
};
