// Pow: broadcasting a ^ b; the result has the base's type, the exponent may have another (opset 12+; before
// 12 only a float64 constant exponent a float32 holds exactly, as older FINN exports write).
// Float32: fround(pow in double) — one rounding of a near-correctly-rounded double, while C's powf (and
// onnxruntime's x*x*x for a scalar exponent 3) may differ by 1 ULP. Integer bases truncate the double.
import { fail } from '../errors.js';
import { broadcastIndex, isFloat, rounderFor, tensor } from '../ir/tensor.js';
import type { Tensor } from '../ir/types.js';
import type { OpContext, OpDef } from './types.js';
import { broadcastOrFail, expectDType, need, NUMERIC, where } from './util.js';

/** C99 pow: JS Math.pow differs only in pow(1, y) = 1 for every y and pow(-1, ±Inf) = 1 (JS: NaN). */
export function cPow(a: number, b: number): number {
  if (a === 1 || (a === -1 && (b === Infinity || b === -Infinity))) return 1;
  return Math.pow(a, b);
}

/**
 * Older exporters (FINN, opset 9) write a float64 constant exponent for a float32 base, which opset < 12
 * forbids. Accepted when every exponent value is a float32 (fround(v) = v: the pass narrow-constant-widths
 * then stores it as float32, and pow reads the very same numbers); a constant that float32 cannot hold is
 * BNNC_E085, naming the value, since the model's meaning would then depend on the width it is read at.
 */
function narrowable(ctx: OpContext, b: Tensor | undefined): boolean {
  if (!b) return false;
  const bad = Array.from(b.data).find((v) => !Object.is(Math.fround(v), v));
  if (bad !== undefined) {
    fail('BNNC_E085', `the float64 exponent holds ${bad}, which float32 (the base's type) cannot represent exactly (nearest ${Math.fround(bad)}); re-export it as float32`, where(ctx, ctx.node.inputs[1]));
  }
  return true;
}

export const Pow: OpDef = {
  op: 'Pow',
  domain: '',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: {},
  infer(ctx, inputs, consts) {
    const a = need(ctx, inputs, 0);
    const b = need(ctx, inputs, 1);
    expectDType(ctx, a, 0, ['float32', 'float64', 'int32', 'int64']);
    expectDType(ctx, b, 1, NUMERIC);
    if (ctx.opset < 12 && a.dtype !== b.dtype && !(a.dtype === 'float32' && b.dtype === 'float64' && narrowable(ctx, consts[1]))) {
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
