// Pow: broadcasting a ^ b; the result has the base's type, the exponent may have another (opset 12+).
// Float32: fround(pow in double) — one rounding of a near-correctly-rounded double, while C's powf (and
// onnxruntime's x*x*x for a scalar exponent 3) may differ by 1 ULP. Integer bases truncate the double.
import { fail } from '../errors.js';
import { broadcastIndex, isFloat, rounderFor, tensor } from '../ir/tensor.js';
import type { OpDef } from './types.js';
import { broadcastOrFail, expectDType, need, NUMERIC, where } from './util.js';

/** C99 pow: JS Math.pow differs only in pow(1, y) = 1 for every y and pow(-1, ±Inf) = 1 (JS: NaN). */
export function cPow(a: number, b: number): number {
  if (a === 1 || (a === -1 && (b === Infinity || b === -Infinity))) return 1;
  return Math.pow(a, b);
}

export const Pow: OpDef = {
  op: 'Pow',
  domain: '',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: {},
  infer(ctx, inputs) {
    const a = need(ctx, inputs, 0);
    const b = need(ctx, inputs, 1);
    expectDType(ctx, a, 0, ['float32', 'float64', 'int32', 'int64']);
    expectDType(ctx, b, 1, NUMERIC);
    if (ctx.opset < 12 && a.dtype !== b.dtype) {
      fail('BNNC_E010', `base ${a.dtype} and exponent ${b.dtype} differ; before opset 12 they must match`, where(ctx, ctx.node.inputs[1]));
    }
    return [{ dtype: a.dtype, shape: broadcastOrFail(ctx, [a, b]) }];
  },
  eval(ctx, inputs) {
    const a = need(ctx, inputs, 0);
    const b = need(ctx, inputs, 1);
    const shape = broadcastOrFail(ctx, [a, b]);
    const out = tensor(a.dtype, shape);
    const round = rounderFor(a.dtype);
    const float = isFloat(a.dtype);
    const ia = broadcastIndex(a.shape, shape), ib = broadcastIndex(b.shape, shape);
    for (let k = 0; k < out.data.length; k++) {
      const p = cPow(a.data[ia[k]], b.data[ib[k]]);
      out.data[k] = round(float ? p : Number.isNaN(p) ? 0 : Math.trunc(p) + 0);
    }
    return [out];
  },
};
