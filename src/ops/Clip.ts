// Clip: y = min(max(x, lo), hi), so NaN stays NaN, -0 stays -0 and lo > hi gives hi. Bounds are float
// attributes before opset 11 and optional scalar inputs from 11 on (omitted: the type's lowest / highest
// finite value, so ±Inf become ±FLT_MAX, as in onnxruntime).
import { fail } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { DType, Tensor, TensorType } from '../ir/types.js';
import type { OpContext, OpDef } from './types.js';
import { expectDType, FLOATS, need, NUMERIC, where } from './util.js';

const FLT_MAX = 3.4028234663852886e38;

function limits(dtype: DType): [number, number] {
  return dtype === 'float32' ? [-FLT_MAX, FLT_MAX] : dtype === 'float64' ? [-Number.MAX_VALUE, Number.MAX_VALUE] : [-Infinity, Infinity];
}

function checkBound(ctx: OpContext, x: TensorType, b: TensorType | undefined, i: number): void {
  if (b === undefined) return;
  if (b.dtype !== x.dtype) fail('BNNC_E010', `bound has element type ${b.dtype}; the input is ${x.dtype}`, where(ctx, ctx.node.inputs[i]));
  if (b.shape.some((d) => d !== 1)) fail('BNNC_E009', `bound has shape [${b.shape}]; it must be a scalar`, where(ctx, ctx.node.inputs[i]));
}

function bounds(ctx: OpContext, x: TensorType, inputs: readonly (Tensor | undefined)[]): [number, number] {
  const [lo, hi] = limits(x.dtype);
  if (ctx.opset < 11) return [(ctx.attrs.min as number | undefined) ?? lo, (ctx.attrs.max as number | undefined) ?? hi];
  return [inputs[1]?.data[0] ?? lo, inputs[2]?.data[0] ?? hi];
}

export const Clip: OpDef = {
  op: 'Clip',
  domain: '',
  inputs: { min: 1, max: 3 },
  outputs: { min: 1, max: 1 },
  attrs: { min: { kind: 'float' }, max: { kind: 'float' } },
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    if (ctx.opset < 11) {
      if (inputs.length > 1) fail('BNNC_E007', 'before opset 11 Clip takes one input (min and max are attributes)', where(ctx));
      expectDType(ctx, x, 0, FLOATS);
    } else {
      expectDType(ctx, x, 0, NUMERIC);
      checkBound(ctx, x, inputs[1], 1);
      checkBound(ctx, x, inputs[2], 2);
    }
    return [x];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const [lo, hi] = bounds(ctx, x, inputs);
    const out = tensor(x.dtype, x.shape);
    for (let k = 0; k < x.data.length; k++) {
      const v = x.data[k];
      const t = v < lo ? lo : v;
      out.data[k] = t > hi ? hi : t;
    }
    return [out];
  },
};
