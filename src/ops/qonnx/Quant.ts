// Quant (QONNX IntQuant): fake quantization to a `bitwidth`-bit integer grid, as qonnx's int_quant computes it
// (src/qonnx/custom_op/general/intquant.py), every step one float32 operation in this order:
//   y = fl(x / scale); y = fl(y + zeropt)
//   1-bit signed:  y = y >= 0 ? 1 : -1                    (qonnx's bipolar special case; narrow, rounding unused)
//   otherwise:     y = y > max ? fl(max) : y;  y = y < min ? fl(min) : y;  y = round_mode(y)
//   out = fl(y - zeropt); out = fl(out * scale)
// min/max: signed [-2^(b-1) (+1 if narrow), 2^(b-1) - 1]; unsigned [0, 2^b - 1 (-1 if narrow)].
import { fail } from '../../errors.js';
import { broadcastIndex, shapeText, tensor } from '../../ir/tensor.js';
import type { Tensor, TensorType } from '../../ir/types.js';
import type { OpContext, OpDef } from '../types.js';
import { attrInt, attrString, broadcastOrFail, expectDType, need, needConst, NUMERIC, where } from '../util.js';
import { roundingMode, ROUNDING_MODES } from './rounding.js';

const MAX_BITWIDTH = 64;

interface Grid {
  /** 1-bit signed: the bipolar sign instead of clamp-and-round. */
  readonly bipolar: boolean;
  readonly min: number;
  readonly max: number;
  readonly round: (x: number) => number;
}

/** Reads and checks the (constant) bit width and the attributes; gives the integer grid. */
function grid(ctx: OpContext, bitwidth: Tensor): Grid {
  const at = where(ctx, ctx.node.inputs[3]);
  if (bitwidth.data.length !== 1) {
    fail('BNNC_E009', `bitwidth has shape ${shapeText(bitwidth.shape)}; it must hold one value`, at);
  }
  const b = bitwidth.data[0];
  if (!Number.isInteger(b) || b < 1 || b > MAX_BITWIDTH) {
    fail('BNNC_E017', `bitwidth is ${b}; it must be an integer from 1 to ${MAX_BITWIDTH}`, at);
  }
  const signed = attrInt(ctx, 'signed') !== 0;
  const narrow = attrInt(ctx, 'narrow') !== 0;
  if (b === 1 && signed) return { bipolar: true, min: -1, max: 1, round: (v) => v }; // bounds, rounding unused
  const mode = attrString(ctx, 'rounding_mode');
  const round = roundingMode(mode);
  if (!round) {
    fail('BNNC_E017', `rounding_mode '${mode}'; bnnc knows ${Object.keys(ROUNDING_MODES).join(', ')} (any case)`, where(ctx));
  }
  // exact integers in double up to 2^53; beyond, the clamp still picks the float32 nearest the bound
  const min = signed ? -(2 ** (b - 1)) + (narrow ? 1 : 0) : 0;
  const max = signed ? 2 ** (b - 1) - 1 : 2 ** b - (narrow ? 2 : 1);
  return { bipolar: false, min, max, round };
}

function outShape(ctx: OpContext, types: readonly TensorType[], g: Grid): number[] {
  // numpy broadcasts x, scale and zeropt; the clamp bounds (arrays of bitwidth's shape) join in, except on
  // the bipolar path, where np.where takes the shape of x / scale + zeropt alone
  return broadcastOrFail(ctx, g.bipolar ? types.slice(0, 3) : types);
}

export const Quant: OpDef = {
  op: 'Quant',
  domain: 'qonnx',
  inputs: { min: 4, max: 4 },
  outputs: { min: 1, max: 1 },
  attrs: {
    // qonnx declares both required (its defaults are never used); the docs' defaults (1, 0) disagree
    signed: { kind: 'int', required: true },
    narrow: { kind: 'int', required: true },
    rounding_mode: { kind: 'string', default: 'ROUND' },
  },
  infer(ctx, inputs, consts) {
    const types = [0, 1, 2, 3].map((i) => need(ctx, inputs, i));
    for (const i of [0, 1, 2]) expectDType(ctx, types[i], i, ['float32']);
    expectDType(ctx, types[3], 3, NUMERIC);
    const g = grid(ctx, needConst(ctx, consts, 3));
    return [{ dtype: 'float32', shape: outShape(ctx, types, g) }];
  },
  eval(ctx, inputs) {
    const [x, scale, zeropt, bitwidth] = [0, 1, 2, 3].map((i) => need(ctx, inputs, i));
    const g = grid(ctx, bitwidth);
    const shape = outShape(ctx, [x, scale, zeropt, bitwidth], g);
    const ix = broadcastIndex(x.shape, shape), is = broadcastIndex(scale.shape, shape), iz = broadcastIndex(zeropt.shape, shape);
    const out = tensor('float32', shape);
    const xd = x.data, sd = scale.data, zd = zeropt.data, od = out.data;
    const f = Math.fround;
    const minF = f(g.min), maxF = f(g.max);
    for (let k = 0; k < od.length; k++) {
      const s = sd[is[k]], z = zd[iz[k]];
      let y = f(f(xd[ix[k]] / s) + z);
      if (g.bipolar) {
        y = y >= 0 ? 1 : -1; // NaN → -1, -0 → +1
      } else {
        // compare with the exact bound, clamp to its float32 value (numpy: np.where(y > max, max.astype(f32), y))
        if (y > g.max) y = maxF;
        if (y < g.min) y = minF;
        y = g.round(y); // integer-valued float32 in, integer-valued float32 out: exact
      }
      od[k] = f(f(y - z) * s);
    }
    return [out];
  },
};
