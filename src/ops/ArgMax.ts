// ArgMax: int64 index of the largest element along `axis` (first one, or the last with select_last_index);
// NaN counts as the largest value (onnxruntime agrees for the first index; ONNX does not define it).
import { fail } from '../errors.js';
import { normAxis, sizeOf, tensor } from '../ir/tensor.js';
import type { TensorType } from '../ir/types.js';
import type { OpContext, OpDef } from './types.js';
import { expectDType, need, NUMERIC, where } from './util.js';

/** a ranks above b: NaN above everything, else numeric order (as in TopK). */
const above = (a: number, b: number): boolean => a > b || (a !== a && b === b);

function geometry(ctx: OpContext, x: TensorType): { axis: number; shape: number[] } {
  const rank = x.shape.length;
  const axis = normAxis(ctx.attrs.axis as number, rank);
  if (axis === undefined) fail('BNNC_E006', `axis ${ctx.attrs.axis} is out of range for rank ${rank}`, where(ctx));
  const keep = ctx.attrs.keepdims !== 0;
  return { axis, shape: x.shape.flatMap((d, i) => (i !== axis ? [d] : keep ? [1] : [])) };
}

export const ArgMax: OpDef = {
  op: 'ArgMax',
  domain: '',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  attrs: { axis: { kind: 'int', default: 0 }, keepdims: { kind: 'int', default: 1 }, select_last_index: { kind: 'int', default: 0 } },
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    expectDType(ctx, x, 0, NUMERIC);
    return [{ dtype: 'int64', shape: geometry(ctx, x).shape }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const { axis, shape } = geometry(ctx, x);
    const n = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    const outer = sizeOf(x.shape.slice(0, axis));
    const last = ctx.attrs.select_last_index !== 0;
    const out = tensor('int64', shape);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let best = 0;
        for (let j = 1; j < n; j++) {
          const v = x.data[base + j * inner], b = x.data[base + best * inner];
          if (last ? !above(b, v) : above(v, b)) best = j;
        }
        out.data[o * inner + i] = best;
      }
    }
    return [out];
  },
};
