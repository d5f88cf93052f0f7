// Threshold: compares each integer (an accumulator, or a raw input) with its channel's threshold and packs
// the ±1 results into NHWC words (bits.ts). The kind K of channel c says which side is +1:
//   K =  1: +1 iff a ≥ T[c]  (bit = a < T)     K =  2: always +1 (bit 0)
//   K = −1: +1 iff a ≤ T[c]  (bit = a > T)     K = −2: always −1 (bit 1)
// The lowering derives T and K from the layers between the sum and the sign (a batch norm γ/σ·(a − μ) + β
// ≥ 0 is a ≥ μ − βσ/γ for γ > 0, a ≤ … for γ < 0, constant for γ = 0); the derivation lives with it.
import { fail } from '../../errors.js';
import { tensor } from '../../ir/tensor.js';
import type { Tensor, TensorType } from '../../ir/types.js';
import { wordsFor } from '../../numeric/bits.js';
import type { OpContext, OpDef } from '../types.js';
import { need, where } from '../util.js';
import { expect4, expectValues, expectVector, INTS, layoutAttr, withDefaults } from './common.js';

const ATTRS = { layout: { kind: 'string', default: 'NHWC' } } as const;
const KINDS = [1, -1, 2, -2];

/** [N, H, W, C] and the strides of those axes in a's data. */
function geometry(ctx: OpContext, a: TensorType, t: TensorType, k: TensorType, kConst?: Tensor): { nhwc: number[]; str: number[] } {
  expect4(ctx, a, 0, INTS);
  const layout = layoutAttr(ctx);
  const [n, h, w, c] = layout === 'NHWC' ? a.shape : [a.shape[0], a.shape[2], a.shape[3], a.shape[1]];
  expectVector(ctx, t, 1, 'int32', c, 'the threshold vector');
  expectVector(ctx, k, 2, 'int8', c, 'the kind vector');
  expectValues(ctx, kConst, 2, KINDS, 'kind');
  const str = layout === 'NHWC' ? [h * w * c, w * c, c, 1] : [c * h * w, w, 1, h * w];
  return { nhwc: [n, h, w, c], str };
}

export const Threshold: OpDef = {
  op: 'Threshold',
  domain: 'bnnc',
  inputs: { min: 3, max: 3 },
  outputs: { min: 1, max: 1 },
  attrs: ATTRS,
  infer(ctx0, inputs, consts) {
    const ctx = withDefaults(ctx0, ATTRS);
    const { nhwc } = geometry(ctx, need(ctx, inputs, 0), need(ctx, inputs, 1), need(ctx, inputs, 2), consts[2]);
    return [{ dtype: 'int32', shape: [nhwc[0], nhwc[1], nhwc[2], wordsFor(nhwc[3])] }];
  },
  eval(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const a = need(ctx, inputs, 0), t = need(ctx, inputs, 1), k = need(ctx, inputs, 2);
    const { nhwc: [n, h, w, c], str } = geometry(ctx, a, t, k, k);
    const cw = wordsFor(c);
    const y = tensor('int32', [n, h, w, cw]);
    const ad = a.data, td = t.data, kd = k.data, yd = y.data;
    for (let ni = 0; ni < n; ni++) {
      for (let hi = 0; hi < h; hi++) {
        for (let wi = 0; wi < w; wi++) {
          const base = ni * str[0] + hi * str[1] + wi * str[2], row = ((ni * h + hi) * w + wi) * cw;
          for (let ci = 0; ci < c; ci++) {
            const v = ad[base + ci * str[3]];
            let bit: boolean;
            switch (kd[ci]) {
              case 1: bit = v < td[ci]; break;
              case -1: bit = v > td[ci]; break;
              case 2: bit = false; break;
              case -2: bit = true; break;
              default: fail('BNNC_E017', `kind[${ci}] is ${kd[ci]}; expected one of ${KINDS.join(', ')}`, where(ctx, ctx.node.inputs[2]));
            }
            if (bit) yd[row + (ci >>> 5)] |= 1 << (ci & 31);
          }
        }
      }
    }
    return [y];
  },
};
