// Concat: joins inputs of equal rank and type along one axis (negative from the end). Exact (a copy).
import { fail } from '../errors.js';
import { normAxis, shapeText, sizeOf, tensor } from '../ir/tensor.js';
import type { TensorType } from '../ir/types.js';
import type { OpContext, OpDef } from './types.js';
import { attrInt, need, where } from './util.js';

function joined(ctx: OpContext, inputs: readonly (TensorType | undefined)[]): { axis: number; shape: number[] } {
  const first = need(ctx, inputs, 0);
  const rank = first.shape.length;
  const axis = normAxis(attrInt(ctx, 'axis'), rank);
  if (axis === undefined) fail('BNNC_E006', `axis ${attrInt(ctx, 'axis')} is out of range for rank ${rank}`, where(ctx));
  const shape = [...first.shape];
  shape[axis] = 0;
  inputs.forEach((t, i) => {
    t = need(ctx, inputs, i);
    if (t.dtype !== first.dtype) fail('BNNC_E010', `input ${i} is ${t.dtype}; input 0 is ${first.dtype}`, where(ctx, ctx.node.inputs[i]));
    if (t.shape.length !== rank || t.shape.some((d, k) => k !== axis && d !== first.shape[k])) {
      fail('BNNC_E009', `input ${i} has shape ${shapeText(t.shape)}; it must match ${shapeText(first.shape)} except on axis ${axis}`, where(ctx, ctx.node.inputs[i]));
    }
    shape[axis] += t.shape[axis];
  });
  return { axis, shape };
}

export const Concat: OpDef = {
  op: 'Concat',
  domain: '',
  inputs: { min: 1, max: 1 << 16 },
  outputs: { min: 1, max: 1 },
  attrs: { axis: { kind: 'int', required: true } },
  infer(ctx, inputs) {
    return [{ dtype: need(ctx, inputs, 0).dtype, shape: joined(ctx, inputs).shape }];
  },
  eval(ctx, inputs) {
    const { axis, shape } = joined(ctx, inputs);
    const y = tensor(need(ctx, inputs, 0).dtype, shape);
    const outer = sizeOf(shape.slice(0, axis)), rowOut = sizeOf(shape.slice(axis));
    let col = 0; // where the current input starts inside each output row
    for (let i = 0; i < inputs.length; i++) {
      const t = need(ctx, inputs, i);
      const row = sizeOf(t.shape.slice(axis));
      for (let o = 0; o < outer; o++) y.data.set(t.data.subarray(o * row, (o + 1) * row), o * rowOut + col);
      col += row;
    }
    return [y];
  },
};
