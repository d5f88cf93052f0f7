// Dequantize (bnnc): k-bit activation levels q (int8 or uint8, NHWC [N, H, W, C]) to the float32 values the
// model's quantizer gives them, by table: y = levels[q − qmin], written NCHW [N, C, H, W]. The table holds
// each level's float exactly as the model computes it (src/lower/quantizer.ts), so a graph output read
// after an activation quantizer is bit-exact.
// The arithmetic is dequantize in src/numeric/kernels.ts (which the ts target copies).
import { fail } from '../../errors.js';
import { shapeText, tensor } from '../../ir/tensor.js';
import type { TensorType } from '../../ir/types.js';
import { dequantize } from '../../numeric/kernels.js';
import type { CDataContext, CLayer } from '../c-layer.js';
import { kernelCall, type OpContext, type OpDef } from '../types.js';
import { expectDType, expectRank, need, where } from '../util.js';
import { expect4, intAttr, withDefaults } from './common.js';

const ATTRS = { qmin: { kind: 'int', default: 0 } } as const;

function outShape(ctx: OpContext, x: TensorType, levels: TensorType): number[] {
  expect4(ctx, x, 0, ['int8', 'uint8']);
  expectDType(ctx, levels, 1, ['float32']);
  expectRank(ctx, levels, 1, 1);
  const qmin = intAttr(ctx, 'qmin', {});
  const [lo, hi] = x.dtype === 'int8' ? [-128, 127] : [0, 255];
  if (qmin < lo || qmin + levels.shape[0] - 1 > hi) fail('BNNC_E009', `a table of ${levels.shape[0]} levels from ${qmin} does not fit ${x.dtype}`, where(ctx, ctx.node.inputs[1]));
  const [n, h, w, c] = x.shape;
  if (levels.shape[0] < 1) fail('BNNC_E009', `levels have shape ${shapeText(levels.shape)}`, where(ctx, ctx.node.inputs[1]));
  return [n, c, h, w];
}

export const Dequantize: OpDef = {
  op: 'Dequantize',
  domain: 'bnnc',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: ATTRS,
  cData: dequantizeCData,
  infer(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    return [{ dtype: 'float32', shape: outShape(ctx, need(ctx, inputs, 0), need(ctx, inputs, 1)) }];
  },
  eval(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const x = need(ctx, inputs, 0), l = need(ctx, inputs, 1);
    const shape = outShape(ctx, x, l);
    return [tensor('float32', shape, dequantize(x.data, l.data, ctx.attrs.qmin as number, shape[0], shape[1], true))];
  },
  ts(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const shape = outShape(ctx, need(ctx, inputs, 0), need(ctx, inputs, 1));
    const [x, l] = ctx.node.inputs;
    return kernelCall(dequantize, x, l, ctx.attrs.qmin as number, shape[0], shape[1], true);
  },
};

// ---- C data (cData hook): the numbers Dequantize.c.hbs lays out.
function dequantizeCData(c: CDataContext): CLayer {
  const n = c.node;
  const [, h, wd, ch] = c.type(n.inputs[0]).shape;
  const levels = c.init(n.inputs[1]);
  return {
    partial: 'Dequantize',
    comment: `${c.head}\n * y = levels[q - qmin]: the ${levels.shape[0]} float32 values of the model's quantizer, NHWC -> NCHW`,
    P: h * wd, C: ch, QMIN: (n.attrs.qmin as number | undefined) ?? 0,
    levels: c.array('levels', 'float', levels.data, 6),
  };
}
