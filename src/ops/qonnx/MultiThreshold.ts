// MultiThreshold (FINN): y = out_scale · #{t in thresholds[c] : x >= t} + out_bias, c = x's channel, after
// qonnx's multithreshold (src/qonnx/custom_op/general/multithreshold.py). Comparisons are exact and inclusive
// (x exactly at a threshold counts it; NaN counts none). The count is an int64 there and out_scale a Python
// float, so `out_scale * count + out_bias` is computed in float64: bnnc rounds the double result once.
// Channel axis, as qonnx's execute_node finds it: NCHW → axis 1 for rank 2 or 4, the last axis for any other
// rank (it reshapes to (-1, C)); NHWC → axis 3 for rank 4, axis 1 for rank 2, other ranks rejected.
import { fail } from '../../errors.js';
import { rounderFor, shapeText, stridesOf, tensor } from '../../ir/tensor.js';
import type { TensorType } from '../../ir/types.js';
import type { OpContext, OpDef } from '../types.js';
import { attrFloat, attrString, expectDType, expectRank, FLOATS, need, NUMERIC, where } from '../util.js';

const LAYOUTS = ['NCHW', 'NHWC'];

/** The channel axis of x, after checking the layout, x's rank and the thresholds' [C or 1, T] shape. */
function channelAxis(ctx: OpContext, x: TensorType, th: TensorType): number {
  const layout = attrString(ctx, 'data_layout');
  if (!LAYOUTS.includes(layout)) {
    fail('BNNC_E017', `data_layout '${layout}'; expected ${LAYOUTS.join(' or ')}`, where(ctx));
  }
  const rank = x.shape.length;
  if (rank === 0) fail('BNNC_E009', 'input 0 is a scalar; MultiThreshold needs a channel axis', where(ctx, ctx.node.inputs[0]));
  let axis: number;
  if (layout === 'NHWC') {
    if (rank !== 2 && rank !== 4) {
      fail('BNNC_E017', `data_layout 'NHWC' needs a rank-2 or rank-4 input; input 0 has shape ${shapeText(x.shape)}`, where(ctx, ctx.node.inputs[0]));
    }
    axis = rank - 1;
  } else {
    axis = rank === 2 || rank === 4 ? 1 : rank - 1;
  }
  expectRank(ctx, th, 1, 2);
  const c = x.shape[axis];
  if (th.shape[0] !== c && th.shape[0] !== 1) {
    fail('BNNC_E009', `thresholds have shape ${shapeText(th.shape)}; expected [${c} or 1, T] for ${c} channels (axis ${axis} of ${shapeText(x.shape)})`,
      where(ctx, ctx.node.inputs[1]));
  }
  return axis;
}

export const MultiThreshold: OpDef = {
  op: 'MultiThreshold',
  domain: 'qonnx',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: {
    // FINN's DataType name of the result (e.g. 'BIPOLAR'): only for FINN's datatype inference, unused here
    out_dtype: { kind: 'string' },
    out_scale: { kind: 'float', default: 1 },
    out_bias: { kind: 'float', default: 0 },
    data_layout: { kind: 'string', default: 'NCHW' },
  },
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0), th = need(ctx, inputs, 1);
    expectDType(ctx, x, 0, FLOATS);
    expectDType(ctx, th, 1, NUMERIC);
    channelAxis(ctx, x, th);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0), th = need(ctx, inputs, 1);
    const axis = channelAxis(ctx, x, th);
    const [tc, t] = th.shape;
    const stride = stridesOf(x.shape)[axis], channels = x.shape[axis];
    const scale = attrFloat(ctx, 'out_scale'), bias = attrFloat(ctx, 'out_bias');
    const round = rounderFor(x.dtype);
    const out = tensor(x.dtype, x.shape);
    const xd = x.data, td = th.data, od = out.data;
    for (let k = 0; k < xd.length; k++) {
      const row = tc === 1 ? 0 : Math.floor(k / stride) % channels;
      const v = xd[k];
      let count = 0;
      for (let j = 0; j < t; j++) if (v >= td[row * t + j]) count++;
      od[k] = round(scale * count + bias);
    }
    return [out];
  },
};
