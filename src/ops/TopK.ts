// TopK: the k largest (or smallest) elements along an axis, with their int64 indices. Equal values keep
// index order (lower index first), as onnxruntime does; NaN ranks above +Inf. Output is always sorted
// (ONNX leaves the order unspecified for sorted = 0). k is an attribute before opset 10, then a constant input.
// The arithmetic is topK in src/numeric/kernels.ts (which the ts target copies).
import { fail } from '../errors.js';
import { normAxis, sizeOf, tensor } from '../ir/tensor.js';
import type { Tensor, TensorType } from '../ir/types.js';
import { topK } from '../numeric/kernels.js';
import { kernelCall, type OpContext, type OpDef } from './types.js';
import type { CDataContext, CLayer } from './c-layer.js';
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
  cData: topKCData,
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

// ---- C data (cData hook): the numbers TopK.c.hbs lays out (float32 input only, both outputs named).
function topKCData(c: CDataContext): CLayer {
  const n = c.node;
  const x = c.type(n.inputs[0]);
  const rank = x.shape.length;
  const axis = (((n.attrs.axis as number | undefined) ?? -1) + rank) % rank;
  if (x.dtype !== 'float32') fail('BNNC_E031', `TopK on ${x.dtype} is not supported by the C back ends yet`, { node: n.name, op: n.op });
  const k = c.type(n.outputs[0]).shape[axis];
  const vals = n.outputs[0] ? c.ptr(n.outputs[0]) : '';
  const idx = n.outputs[1] ? c.ptr(n.outputs[1]) : '';
  if (!vals || !idx) fail('BNNC_E031', 'TopK needs both outputs named for the C back ends', { node: n.name, op: n.op });
  return {
    partial: 'TopK', call: `${c.fn}(${c.ptr(n.inputs[0])}, ${vals}, ${idx});`,
    comment: `${c.head}\n * the ${k} ${n.attrs.largest === 0 ? 'smallest' : 'largest'} values along axis ${axis}, sorted, ties in index order`,
    OUTER: sizeOf(x.shape.slice(0, axis)), N: x.shape[axis], INNER: sizeOf(x.shape.slice(axis + 1)), K: k,
    before: n.attrs.largest === 0 ? 'bnnc_above(e, v)' : 'bnnc_above(v, e)',
  };
}
