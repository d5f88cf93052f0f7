// ArgMax: int64 index of the largest element along `axis` (first one, or the last with select_last_index);
// NaN counts as the largest value (onnxruntime agrees for the first index; ONNX does not define it).
// The arithmetic is argMax in src/numeric/kernels.ts (which the ts target copies).
import { fail } from '../errors.js';
import { normAxis, sizeOf, tensor } from '../ir/tensor.js';
import type { TensorType } from '../ir/types.js';
import { argMax } from '../numeric/kernels.js';
import { kernelCall, type OpContext, type OpDef } from './types.js';
import { expectDType, need, NUMERIC, where } from './util.js';
import type { CDataContext, CLayer } from './c-layer.js';

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
  cData: argMaxCData,
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    expectDType(ctx, x, 0, NUMERIC);
    return [{ dtype: 'int64', shape: geometry(ctx, x).shape }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const { axis, shape } = geometry(ctx, x);
    const y = argMax(x.data, sizeOf(x.shape.slice(0, axis)), x.shape[axis], sizeOf(x.shape.slice(axis + 1)), ctx.attrs.select_last_index !== 0);
    return [tensor('int64', shape, y)];
  },
  ts(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const { axis } = geometry(ctx, x);
    const [outer, n, inner] = [sizeOf(x.shape.slice(0, axis)), x.shape[axis], sizeOf(x.shape.slice(axis + 1))];
    return kernelCall(argMax, ctx.node.inputs[0], outer, n, inner, ctx.attrs.select_last_index !== 0);
  },
};

// ---- C data (cData hook): the numbers ArgMax.c.hbs lays out (float32 input only).
function argMaxCData(c: CDataContext): CLayer {
  const n = c.node;
  const x = c.type(n.inputs[0]);
  const rank = x.shape.length;
  const axis = (((n.attrs.axis as number | undefined) ?? 0) + rank) % rank;
  if (x.dtype !== 'float32') fail('BNNC_E031', `ArgMax on ${x.dtype} is not supported by the C back ends yet`, { node: n.name, op: n.op });
  return {
    partial: 'ArgMax', comment: `${c.head}\n * index of the largest value along axis ${axis} (NaN ranks highest)`,
    OUTER: sizeOf(x.shape.slice(0, axis)), N: x.shape[axis], INNER: sizeOf(x.shape.slice(axis + 1)),
    better: n.attrs.select_last_index ? '!bnnc_above(b, v)' : 'bnnc_above(v, b)',
  };
}
