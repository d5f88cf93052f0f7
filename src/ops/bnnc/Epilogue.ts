// Epilogue: the last layer's int32 sums to float32 scores, y = fround(fround(float(a)·scale[c]) + bias[c]):
// two separate float32 roundings, never a fused multiply-add (C back ends must not contract it: build with
// -ffp-contract=off). float(a) is C's (float)a, exact for |a| < 2^24, which every binary layer's reach
// (Cg·KH·KW ≤ 2^24) satisfies; beyond that it rounds to nearest even, as in C.
// Output layout: NCHW [N, C, H, W] (default), NHWC [N, H, W, C], or [N, C] with rank 2 (H = W = 1).
// The arithmetic is epilogue in src/numeric/kernels.ts (which the ts target copies).
import { fail } from '../../errors.js';
import { shapeText, tensor } from '../../ir/tensor.js';
import type { TensorType } from '../../ir/types.js';
import { epilogue } from '../../numeric/kernels.js';
import { kernelCall, type OpContext, type OpDef } from '../types.js';
import { need, where } from '../util.js';
import { expect4, expectVector, intAttr, layoutAttr, withDefaults } from './common.js';
import type { CDataContext, CLayer } from '../c-layer.js';

const ATTRS = { layout: { kind: 'string', default: 'NCHW' }, rank: { kind: 'int', default: 4 } } as const;

function outShape(ctx: OpContext, a: TensorType, scale: TensorType, bias: TensorType): number[] {
  expect4(ctx, a, 0, ['int32']);
  const [n, h, w, c] = a.shape;
  expectVector(ctx, scale, 1, 'float32', c, 'the scale vector');
  expectVector(ctx, bias, 2, 'float32', c, 'the bias vector');
  const layout = layoutAttr(ctx);
  if (intAttr(ctx, 'rank', { oneOf: [2, 4] }) === 2) {
    if (h !== 1 || w !== 1) fail('BNNC_E009', `rank 2 output needs a 1×1 input; input 0 is ${shapeText(a.shape)}`, where(ctx, ctx.node.inputs[0]));
    return [n, c];
  }
  return layout === 'NCHW' ? [n, c, h, w] : [n, h, w, c];
}

export const Epilogue: OpDef = {
  op: 'Epilogue',
  domain: 'bnnc',
  inputs: { min: 3, max: 3 },
  outputs: { min: 1, max: 1 },
  attrs: ATTRS,
  cData: epilogueCData,
  infer(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    return [{ dtype: 'float32', shape: outShape(ctx, need(ctx, inputs, 0), need(ctx, inputs, 1), need(ctx, inputs, 2)) }];
  },
  eval(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const a = need(ctx, inputs, 0), s = need(ctx, inputs, 1), b = need(ctx, inputs, 2);
    const shape = outShape(ctx, a, s, b);
    return [tensor('float32', shape, epilogue(a.data, s.data, b.data, a.shape[0], layoutAttr(ctx) === 'NCHW'))];
  },
  ts(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const a = need(ctx, inputs, 0);
    outShape(ctx, a, need(ctx, inputs, 1), need(ctx, inputs, 2));
    const [x, scale, bias] = ctx.node.inputs;
    return kernelCall(epilogue, x, scale, bias, a.shape[0], layoutAttr(ctx) === 'NCHW');
  },
};

// ---- C data (cData hook): the numbers Epilogue.c.hbs lays out.
function epilogueCData(c: CDataContext): CLayer {
  const n = c.node;
  const [, h, wd, ch] = c.type(n.inputs[0]).shape;
  const nchw = (n.attrs.layout ?? 'NCHW') === 'NCHW' && (n.attrs.rank ?? 4) !== 2;
  return {
    partial: 'Epilogue',
    comment: `${c.head}\n * y = (float)acc * scale[c], then + bias[c]: two float32 roundings, no FMA (-ffp-contract=off)`,
    P: h * wd, C: ch, YP: nchw ? 1 : ch, YC: nchw ? h * wd : 1,
    scale: c.array('scale', 'float', c.init(n.inputs[1]).data, 6),
    bias: c.array('bias', 'float', c.init(n.inputs[2]).data, 6),
  };
}
