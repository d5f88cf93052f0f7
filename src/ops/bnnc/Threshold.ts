// Threshold: compares each integer (an accumulator, or a raw input) with its channel's threshold and packs
// the ±1 results into NHWC words (bits.ts). The kind K of channel c says which side is +1:
//   K =  1: +1 iff a ≥ T[c]  (bit = a < T)     K =  2: always +1 (bit 0)
//   K = −1: +1 iff a ≤ T[c]  (bit = a > T)     K = −2: always −1 (bit 1)
// The lowering derives T and K from the layers between the sum and the sign (a batch norm γ/σ·(a − μ) + β
// ≥ 0 is a ≥ μ − βσ/γ for γ > 0, a ≤ … for γ < 0, constant for γ = 0); the derivation lives with it.
// The arithmetic is threshold in src/numeric/kernels.ts (which the ts target copies).
import { tensor } from '../../ir/tensor.js';
import type { Tensor, TensorType } from '../../ir/types.js';
import { wordsFor } from '../../numeric/bits.js';
import { threshold } from '../../numeric/kernels.js';
import { kernelCall, type OpContext, type OpDef } from '../types.js';
import { need } from '../util.js';
import { expect4, expectValues, expectVector, INTS, layoutAttr, withDefaults } from './common.js';
import { wordBits, type CDataContext, type CLayer } from '../c-layer.js';

// levels: the two values of the float activation the bits stand for (+1 the higher); only `check` reads it
const ATTRS = { layout: { kind: 'string', default: 'NHWC' }, levels: { kind: 'floats', default: [-1, 1] } } as const;
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
  cData: thresholdCData,
  packedBits: true,
  infer(ctx0, inputs, consts) {
    const ctx = withDefaults(ctx0, ATTRS);
    const { nhwc } = geometry(ctx, need(ctx, inputs, 0), need(ctx, inputs, 1), need(ctx, inputs, 2), consts[2]);
    return [{ dtype: 'int32', shape: [nhwc[0], nhwc[1], nhwc[2], wordsFor(nhwc[3])] }];
  },
  eval(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const a = need(ctx, inputs, 0), t = need(ctx, inputs, 1), k = need(ctx, inputs, 2);
    const { nhwc: [n, h, w, c] } = geometry(ctx, a, t, k, k);
    return [tensor('int32', [n, h, w, wordsFor(c)], threshold(a.data, t.data, k.data, n, h, w, layoutAttr(ctx) === 'NCHW'))];
  },
  ts(ctx0, inputs, consts) {
    const ctx = withDefaults(ctx0, ATTRS);
    const { nhwc: [n, h, w] } = geometry(ctx, need(ctx, inputs, 0), need(ctx, inputs, 1), need(ctx, inputs, 2), consts[2]);
    const [a, t, k] = ctx.node.inputs;
    return kernelCall(threshold, a, t, k, n, h, w, layoutAttr(ctx) === 'NCHW');
  },
};

// ---- C data (cData hook): the numbers Threshold.c.hbs lays out.
function thresholdCData(c: CDataContext): CLayer {
  const n = c.node;
  const xs = c.type(n.inputs[0]).shape;
  const nhwc = (n.attrs.layout ?? 'NHWC') === 'NHWC';
  const [, h, wd, ch] = nhwc ? xs : [xs[0], xs[2], xs[3], xs[1]];
  const str = nhwc ? [wd * ch, ch, 1] : [wd, 1, h * wd];
  const t = c.init(n.inputs[1]), k = c.init(n.inputs[2]);
  const cw = wordsFor(ch);
  return {
    partial: 'Threshold',
    comment: `${c.head}\n * threshold and pack ${ch} channels into ${cw} words per pixel, ${h}x${wd} pixels`,
    H: h, W: wd, C: ch, CW: cw, CLAST: ch - 32 * (cw - 1), NB: wordBits(ch, cw), SY: str[0], SX: str[1], SC: str[2],
    thresholds: c.array('thresholds', 'int32_t', t.data, 10),
    kinds: c.array('kinds', 'int8_t', k.data, 16),
  };
}
