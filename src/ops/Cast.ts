// Cast: converts elements to the type `to` names. Float → integer truncates toward zero and, where ONNX
// leaves the result undefined (NaN, out of range), bnnc saturates to the target range with NaN → 0
// (onnxruntime on x86 gives INT_MIN instead). Integer → integer wraps; anything → bool is x != 0 (NaN → true).
import { fail } from '../errors.js';
import { isFloat, rounderFor, saturateInt64, tensor } from '../ir/tensor.js';
import type { DType } from '../ir/types.js';
import type { OpDef } from './types.js';
import { need, where } from './util.js';

/** TensorProto.DataType codes bnnc supports. */
const TO_DTYPE: Readonly<Record<number, DType>> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64',
};

const INT_RANGE: Readonly<Partial<Record<DType, [number, number]>>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535], int32: [-(2 ** 31), 2 ** 31 - 1],
};

/** The conversion of one element from `from` to `to`. */
export function castFn(from: DType, to: DType): (v: number) => number {
  if (to === 'bool') return (v) => (v !== 0 ? 1 : 0);
  const wrap = rounderFor(to);
  if (!isFloat(from) || isFloat(to)) return wrap;
  if (to === 'int64') return (v) => (Number.isNaN(v) ? 0 : saturateInt64(v) + 0);
  const [lo, hi] = INT_RANGE[to]!;
  return (v) => (Number.isNaN(v) ? 0 : Math.min(Math.max(Math.trunc(v), lo), hi) + 0);
}

export const Cast: OpDef = {
  op: 'Cast',
  domain: '',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  attrs: { to: { kind: 'int', required: true } },
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const to = TO_DTYPE[ctx.attrs.to as number];
    if (to === undefined) {
      fail('BNNC_E017', `to = ${ctx.attrs.to}; bnnc casts to float32, float64, int8, uint8, int16, uint16, int32, int64 and bool only`, where(ctx));
    }
    return [{ dtype: to, shape: x.shape }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const to = TO_DTYPE[ctx.attrs.to as number];
    const f = castFn(x.dtype, to);
    const out = tensor(to, x.shape);
    for (let k = 0; k < x.data.length; k++) out.data[k] = f(x.data[k]);
    return [out];
  },
};
