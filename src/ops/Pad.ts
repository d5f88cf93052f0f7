// Pad: grows (or, with negative pads, crops) each axis; new cells hold a constant, mirror the input (reflect,
// edge not repeated, pads below the axis size), repeat its edge, or wrap around (opset 19). Pads and value
// are attributes before opset 11, inputs from 11 (pads, constant_value, opset 18's axes). Exact (a copy).
import { fail } from '../errors.js';
import { rounderFor, shapeText, tensor } from '../ir/tensor.js';
import type { Tensor, TensorType } from '../ir/types.js';
import { intsOf, listOperand, normAxes } from './shape-operand.js';
import type { OpContext, OpDef } from './types.js';
import { attrFloat, attrString, need, needConst, where } from './util.js';
import { increment } from './sliding-window.js';

const MODES = ['constant', 'reflect', 'edge', 'wrap'];

/** Begin and end pads for every axis (axes not listed in opset 18's `axes` get 0). */
function padsOf(ctx: OpContext, x: TensorType, consts: readonly (Tensor | undefined)[]): { begin: number[]; end: number[] } {
  const r = x.shape.length;
  const mode = attrString(ctx, 'mode');
  if (!MODES.includes(mode)) fail('BNNC_E017', `mode '${mode}'; expected ${MODES.join(', ')}`, where(ctx));
  const pads = listOperand(ctx, consts, 'pads', 1);
  if (!pads) fail('BNNC_E006', "needs 'pads' (an attribute before opset 11, an input from 11)", where(ctx));
  const axes = ctx.node.inputs[3] ? normAxes(ctx, intsOf(ctx, needConst(ctx, consts, 3), 3), r) : [...x.shape.keys()];
  if (pads.length !== 2 * axes.length) {
    fail('BNNC_E009', `${pads.length} pads for ${axes.length} axes; expected ${2 * axes.length}`, where(ctx, ctx.node.inputs[1]));
  }
  const begin = new Array<number>(r).fill(0), end = new Array<number>(r).fill(0);
  axes.forEach((a, k) => { begin[a] = pads[k]; end[a] = pads[k + axes.length]; });
  for (let a = 0; a < r; a++) {
    const kept = x.shape[a] + Math.min(0, begin[a]) + Math.min(0, end[a]);
    if (kept < 0 || (kept === 0 && mode !== 'constant' && Math.max(begin[a], end[a]) > 0)) {
      fail('BNNC_E009', `pads [${pads.join(',')}] crop axis ${a} of ${shapeText(x.shape)} away`, where(ctx, ctx.node.inputs[1]));
    }
    if (mode === 'reflect' && Math.max(begin[a], end[a]) > kept - 1) {
      fail('BNNC_E017', `reflect pads on axis ${a} must be below its size ${kept} (after cropping), as onnxruntime requires`, where(ctx, ctx.node.inputs[1]));
    }
  }
  return { begin, end };
}

/**
 * For one axis, the input coordinate read by each output coordinate, or −1 for the constant. Negative pads
 * crop first; the kept range [lo, lo + n) is then padded by the mode.
 */
function axisMap(mode: string, size: number, begin: number, end: number): Int32Array {
  const lo = Math.max(0, -begin), n = size - lo - Math.max(0, -end);
  const out = new Int32Array(n + Math.max(0, begin) + Math.max(0, end));
  for (let o = 0; o < out.length; o++) {
    let j = o - Math.max(0, begin);
    if (j < 0 || j >= n) {
      if (mode === 'constant') { out[o] = -1; continue; }
      if (mode === 'edge') j = Math.min(Math.max(j, 0), n - 1);
      else if (mode === 'wrap') j = ((j % n) + n) % n;
      else {
        const period = 2 * (n - 1), m = ((j % period) + period) % period;
        j = m < n ? m : period - m;
      }
    }
    out[o] = lo + j;
  }
  return out;
}

export const Pad: OpDef = {
  op: 'Pad',
  domain: '',
  inputs: { min: 1, max: 4 },
  outputs: { min: 1, max: 1 },
  attrs: { mode: { kind: 'string', default: 'constant' }, pads: { kind: 'ints' }, value: { kind: 'float', default: 0 } },
  infer(ctx, inputs, consts) {
    const x = need(ctx, inputs, 0);
    const { begin, end } = padsOf(ctx, x, consts);
    return [{ dtype: x.dtype, shape: x.shape.map((d, a) => d + begin[a] + end[a]) }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const { begin, end } = padsOf(ctx, x, inputs);
    const mode = attrString(ctx, 'mode');
    const cv = ctx.node.inputs[2] ? need(ctx, inputs, 2) : undefined;
    if (cv && cv.data.length !== 1) fail('BNNC_E009', `constant_value has shape ${shapeText(cv.shape)}; expected a scalar`, where(ctx, ctx.node.inputs[2]));
    const value = rounderFor(x.dtype)(cv ? cv.data[0] : attrFloat(ctx, 'value'));
    const maps = x.shape.map((d, a) => axisMap(mode, d, begin[a], end[a]));
    const y = tensor(x.dtype, maps.map((m) => m.length));
    const inStr = x.shape.map((_, a) => x.shape.slice(a + 1).reduce((p, q) => p * q, 1));
    const idx = new Array<number>(x.shape.length).fill(0);
    const xd = x.data, yd = y.data;
    for (let k = 0; k < yd.length; k++) {
      let at = 0;
      for (let a = 0; a < idx.length && at >= 0; a++) {
        const c = maps[a][idx[a]];
        at = c < 0 ? -1 : at + c * inStr[a];
      }
      yd[k] = at < 0 ? value : xd[at];
      increment(idx, y.shape);
    }
    return [y];
  },
};
