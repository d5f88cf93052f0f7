// TopK: the k largest (or smallest) elements along an axis, with their int64 indices. Equal values keep
// index order (lower index first), as onnxruntime does; NaN ranks above +Inf. Output is always sorted
// (ONNX leaves the order unspecified for sorted = 0). k is an attribute before opset 10, then a constant input.
import { fail } from '../errors.js';
import { normAxis, sizeOf, tensor } from '../ir/tensor.js';
import type { Tensor, TensorType } from '../ir/types.js';
import type { OpContext, OpDef } from './types.js';
import { expectDType, need, needConst, NUMERIC, where } from './util.js';

/** a ranks above b: NaN above everything, else numeric order. */
function above(a: number, b: number): boolean {
  return a > b || (a !== a && b === b);
}

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
    const n = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    const outer = sizeOf(x.shape.slice(0, axis));
    const shape = x.shape.map((d, i) => (i === axis ? k : d));
    const values = tensor(x.dtype, shape), indices = tensor('int64', shape);
    const largest = ctx.attrs.largest !== 0;
    const order = new Array<number>(n);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = (j: number) => x.data[(o * n + j) * inner + i];
        for (let j = 0; j < n; j++) order[j] = j;
        order.sort((p, q) => {
          const a = at(p), b = at(q);
          if (above(a, b)) return largest ? -1 : 1;
          if (above(b, a)) return largest ? 1 : -1;
          return p - q;
        });
        for (let j = 0; j < k; j++) {
          const dst = (o * k + j) * inner + i;
          values.data[dst] = at(order[j]);
          indices.data[dst] = order[j];
        }
      }
    }
    return [values, indices];
  },
};
