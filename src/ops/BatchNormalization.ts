// BatchNormalization (inference): y = scale·(x − mean) / sqrt(var + epsilon) + B, per channel (axis 1).
// float32 order as ONNX's reference: t = fl(x − mean); t = fl(scale·t); d = fl(sqrt(fl(var + eps)));
// t = fl(t / d); y = fl(t + B). Opsets 7–8 with spatial = 0 take per-(C, D1…) statistics.
import { fail } from '../errors.js';
import { rounderFor, sameShape, shapeText, sizeOf, tensor } from '../ir/tensor.js';
import type { TensorType } from '../ir/types.js';
import type { OpContext, OpDef } from './types.js';
import { attrFloat, attrInt, expectDType, FLOATS, need, where } from './util.js';

/** The shape each statistic must have: [C], or [C, D1, …] for opset 7–8's spatial = 0. */
function check(ctx: OpContext, inputs: readonly (TensorType | undefined)[]): number[] {
  const x = need(ctx, inputs, 0);
  expectDType(ctx, x, 0, FLOATS);
  if (x.shape.length < 2) fail('BNNC_E009', `input has shape ${shapeText(x.shape)}; expected [N, C, …]`, where(ctx, ctx.node.inputs[0]));
  if (attrInt(ctx, 'training_mode') !== 0) fail('BNNC_E017', 'training_mode = 1; bnnc compiles inference graphs only', where(ctx));
  const extra = ctx.node.outputs.findIndex((o, i) => i > 0 && o !== '');
  if (extra > 0) {
    fail('BNNC_E017', `output ${extra} (running or saved statistics) exists only in training; bnnc compiles inference graphs`, where(ctx, ctx.node.outputs[extra]));
  }
  const perActivation = ctx.opset < 9 && attrInt(ctx, 'spatial') === 0;
  const stat = perActivation ? x.shape.slice(1) : [x.shape[1]];
  for (let i = 1; i < 5; i++) {
    const t = need(ctx, inputs, i);
    expectDType(ctx, t, i, FLOATS);
    if (!sameShape(t.shape, stat)) {
      fail('BNNC_E009', `input ${i} has shape ${shapeText(t.shape)}; expected ${shapeText(stat)} for input ${shapeText(x.shape)}`, where(ctx, ctx.node.inputs[i]));
    }
  }
  return stat;
}

export const BatchNormalization: OpDef = {
  op: 'BatchNormalization',
  domain: '',
  inputs: { min: 5, max: 5 },
  outputs: { min: 1, max: 5 },
  attrs: {
    epsilon: { kind: 'float', default: 1e-5 },
    momentum: { kind: 'float', default: 0.9 },
    spatial: { kind: 'int', default: 1 },
    training_mode: { kind: 'int', default: 0 },
  },
  infer(ctx, inputs) {
    check(ctx, inputs);
    const x = need(ctx, inputs, 0);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  eval(ctx, inputs) {
    const stat = sizeOf(check(ctx, inputs));
    const [x, scale, bias, mean, variance] = [0, 1, 2, 3, 4].map((i) => need(ctx, inputs, i));
    const round = rounderFor(x.dtype);
    const eps = round(attrFloat(ctx, 'epsilon'));
    // statistic j applies to a run of `inner` consecutive elements, runs cycling every `stat` of them
    const inner = (sizeOf(x.shape.slice(1)) / stat) | 0; // int32 index arithmetic (see Conv)
    const y = tensor(x.dtype, x.shape);
    const xd = x.data, yd = y.data;
    const sd = scale.data, bd = bias.data, md = mean.data, vd = variance.data;
    for (let e0 = 0; e0 < xd.length; e0 += inner) {
      const j = (e0 / inner) % stat;
      const mj = md[j], sj = sd[j], bj = bd[j];
      const dj = round(Math.sqrt(round(vd[j] + eps)));
      for (let e = e0, end = (e0 + inner) | 0; e < end; e++) {
        const t = round(round(sj * round(xd[e] - mj)) / dj);
        yd[e] = round(t + bj);
      }
    }
    return [y];
  },
};
