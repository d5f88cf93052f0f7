// ReduceSum / ReduceMean, one definition. `axes` is an attribute before `axesInputFrom` (13 for ReduceSum,
// 18 for ReduceMean) and an optional constant int64 input from then on, with `noop_with_empty_axes`.
// Empty axes reduce everything (or, with noop_with_empty_axes = 1, pass the input through).
// Each output is accumulated left to right in the input's row-major order, rounded to the element type at
// every step (float32: s = fround(s + x)), starting from -0 so that a sum of -0s stays -0.
import { fail } from '../errors.js';
import { isFloat, normAxis, rounderFor, sizeOf, stridesOf, tensor } from '../ir/tensor.js';
import type { DType, Tensor, TensorType } from '../ir/types.js';
import type { OpContext, OpDef } from './types.js';
import { expectDType, need, needConst, where } from './util.js';

const REDUCE_DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'int64'];

/** Sorted, normalized axes to reduce, or undefined for the no-op case. */
function reducedAxes(ctx: OpContext, rank: number, axesInputFrom: number, axesInput: Tensor | undefined): number[] | undefined {
  let given: readonly number[];
  if (ctx.opset < axesInputFrom) {
    given = (ctx.attrs.axes as readonly number[] | undefined) ?? [];
  } else {
    if (axesInput !== undefined && axesInput.dtype !== 'int64') {
      fail('BNNC_E010', `axes has element type ${axesInput.dtype}; expected int64`, where(ctx, ctx.node.inputs[1]));
    }
    given = axesInput ? Array.from(axesInput.data) : [];
    if (given.length === 0 && ctx.attrs.noop_with_empty_axes) return undefined;
  }
  if (given.length === 0) return [...Array(rank).keys()];
  const axes = given.map((a) => {
    const n = normAxis(a, rank);
    if (n === undefined) fail('BNNC_E006', `axis ${a} is out of range for rank ${rank}`, where(ctx));
    return n;
  });
  if (new Set(axes).size !== axes.length) fail('BNNC_E006', `axes [${given}] repeat an axis`, where(ctx));
  return axes.sort((a, b) => a - b);
}

function outShape(shape: readonly number[], axes: readonly number[], keep: boolean): number[] {
  return shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
}

export function reduceOp(op: string, axesInputFrom: number, mean: boolean): OpDef {
  return {
    op,
    domain: '',
    inputs: { min: 1, max: 2 },
    outputs: { min: 1, max: 1 },
    attrs: { axes: { kind: 'ints' }, keepdims: { kind: 'int', default: 1 }, noop_with_empty_axes: { kind: 'int', default: 0 } },
    infer(ctx, inputs, consts) {
      const x = need(ctx, inputs, 0);
      expectDType(ctx, x, 0, REDUCE_DTYPES);
      if (ctx.opset < axesInputFrom && inputs.length > 1) {
        fail('BNNC_E007', `before opset ${axesInputFrom} ${op} takes one input (axes is an attribute)`, where(ctx));
      }
      const axesInput = inputs[1] === undefined ? undefined : needConst(ctx, consts, 1);
      const axes = reducedAxes(ctx, x.shape.length, axesInputFrom, axesInput);
      return [axes ? { dtype: x.dtype, shape: outShape(x.shape, axes, ctx.attrs.keepdims !== 0) } : (x as TensorType)];
    },
    eval(ctx, inputs) {
      const x = need(ctx, inputs, 0);
      const axes = reducedAxes(ctx, x.shape.length, axesInputFrom, inputs[1]);
      if (!axes) return [x];
      const out = tensor(x.dtype, outShape(x.shape, axes, ctx.attrs.keepdims !== 0));
      const r = rounderFor(x.dtype);
      const float = isFloat(x.dtype);
      const od = out.data;
      if (float) od.fill(-0);
      // output strides laid over the input's axes (0 on reduced ones): input index → output index
      const keptStrides = stridesOf(x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
      const step = x.shape.map((_, i) => (axes.includes(i) ? 0 : keptStrides[i]));
      const counter = new Array<number>(x.shape.length).fill(0);
      let o = 0;
      for (let k = 0; k < x.data.length; k++) {
        od[o] = r(od[o] + x.data[k]);
        for (let d = x.shape.length - 1; d >= 0; d--) {
          o += step[d];
          if (++counter[d] < x.shape[d]) break;
          o -= step[d] * counter[d];
          counter[d] = 0;
        }
      }
      if (mean) {
        const n = sizeOf(axes.map((a) => x.shape[a]));
        for (let k = 0; k < od.length; k++) {
          const s = od[k];
          od[k] = float ? r(s / n) : n === 0 ? 0 : x.dtype === 'int64' ? Number(BigInt(s) / BigInt(n)) : Math.trunc(s / n) + 0;
        }
      }
      return [out];
    },
  };
}
