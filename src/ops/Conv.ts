// Conv: N-D convolution (1-D, 2-D, 3-D) with groups, strides, dilations, pads or auto_pad, optional bias.
// float32 order, per output: acc = 0; over the group's input channels, then kernel rows, then columns
// (row-major over the kernel), acc = fl(acc + fl(x·w)), padding taps skipped; bias added last: fl(acc + b).
import { fail } from '../errors.js';
import { rounderFor, shapeText, sizeOf, tensor } from '../ir/tensor.js';
import type { Tensor, TensorType } from '../ir/types.js';
import { resolveWindow, WINDOW_ATTRS, windowRuns, type Window } from './sliding-window.js';
import type { OpContext, OpDef } from './types.js';
import { attrInt, attrInts, expectDType, FLOATS, need, where } from './util.js';

function geometry(ctx: OpContext, x: TensorType, w: TensorType, b: TensorType | undefined): Window {
  expectDType(ctx, x, 0, FLOATS);
  const r = x.shape.length;
  if (r < 3) fail('BNNC_E009', `input has shape ${shapeText(x.shape)}; Conv needs [N, C, spatial…]`, where(ctx, ctx.node.inputs[0]));
  if (w.shape.length !== r) {
    fail('BNNC_E009', `weight has shape ${shapeText(w.shape)}; expected rank ${r} like the input ${shapeText(x.shape)}`, where(ctx, ctx.node.inputs[1]));
  }
  for (const [i, t] of [[1, w], [2, b]] as const) {
    if (t && t.dtype !== x.dtype) fail('BNNC_E010', `input ${i} is ${t.dtype}; the input is ${x.dtype}`, where(ctx, ctx.node.inputs[i]));
  }
  const group = attrInt(ctx, 'group');
  const [m, cg] = w.shape;
  const c = x.shape[1];
  if (group < 1 || c % group !== 0 || m % group !== 0) {
    fail('BNNC_E009', `group ${group} must divide the ${c} input channels and the ${m} output channels`, where(ctx));
  }
  if (cg * group !== c) {
    fail('BNNC_E009', `weight ${shapeText(w.shape)} takes ${cg} channels per group (× group ${group}), but the input ${shapeText(x.shape)} has ${c}`,
      where(ctx, ctx.node.inputs[1]));
  }
  if (b && (b.shape.length !== 1 || b.shape[0] !== m)) {
    fail('BNNC_E009', `bias has shape ${shapeText(b.shape)}; expected [${m}]`, where(ctx, ctx.node.inputs[2]));
  }
  const kernel = w.shape.slice(2);
  const ks = attrInts(ctx, 'kernel_shape');
  if (ks && (ks.length !== kernel.length || ks.some((k, i) => k !== kernel[i]))) {
    fail('BNNC_E009', `kernel_shape [${ks.join(',')}] disagrees with the weight's ${shapeText(kernel)}`, where(ctx, ctx.node.inputs[1]));
  }
  return resolveWindow(ctx, x.shape.slice(2), kernel, false);
}

export const Conv: OpDef = {
  op: 'Conv',
  domain: '',
  inputs: { min: 2, max: 3 },
  outputs: { min: 1, max: 1 },
  attrs: { ...WINDOW_ATTRS, group: { kind: 'int', default: 1 } },
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0), w = need(ctx, inputs, 1);
    const win = geometry(ctx, x, w, inputs[2]);
    return [{ dtype: x.dtype, shape: [x.shape[0], w.shape[0], ...win.outSize] }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0), w = need(ctx, inputs, 1), b: Tensor | undefined = inputs[2];
    const win = geometry(ctx, x, w, b);
    const round = rounderFor(x.dtype);
    const [n, c] = x.shape;
    const [m, cg] = w.shape;
    const mg = m / attrInt(ctx, 'group');
    const inPlane = sizeOf(win.inSize), outPlane = sizeOf(win.outSize), nK = sizeOf(win.kernel);
    const y = tensor(x.dtype, [n, m, ...win.outSize]);
    const xd = x.data, wd = w.data, yd = y.data;
    const runs = windowRuns(win);
    // One kernel tap at a time over all outputs of a plane: each output still sums its own taps in the
    // order above (channels, then row-major taps), but consecutive additions belong to different outputs,
    // so they do not wait on each other. y's own elements are the accumulators: a store into the float32
    // array is the rounding fl(acc + fl(x·w)) (float64: no rounding, as `round`).
    // (`| 0` keeps the index arithmetic in int32: shapes may arrive as doubles, which halves the speed)
    const { start, out, off, len } = runs, step = runs.step | 0;
    for (let ni = 0; ni < n; ni++) {
      for (let mi = 0; mi < m; mi++) {
        const c0 = Math.floor(mi / mg) * cg;
        const yBase = ((ni * m + mi) * outPlane) | 0;
        for (let ci = 0; ci < cg; ci++) {
          const xBase = ((ni * c + c0 + ci) * inPlane) | 0, wBase = ((mi * cg + ci) * nK) | 0;
          for (let t = 0; t < nK; t++) {
            const wv = wd[wBase + t];
            for (let j = start[t]; j < start[t + 1]; j++) {
              const y0 = (yBase + out[j]) | 0, x0 = (xBase + off[j]) | 0, l = len[j];
              let q = 0;
              for (; q + 4 <= l; q += 4) { // four independent outputs per step (same sums, more in flight)
                const a0 = yd[y0 + q] + round(xd[x0 + q * step] * wv), a1 = yd[y0 + q + 1] + round(xd[x0 + (q + 1) * step] * wv);
                const a2 = yd[y0 + q + 2] + round(xd[x0 + (q + 2) * step] * wv), a3 = yd[y0 + q + 3] + round(xd[x0 + (q + 3) * step] * wv);
                yd[y0 + q] = a0; yd[y0 + q + 1] = a1; yd[y0 + q + 2] = a2; yd[y0 + q + 3] = a3;
              }
              for (; q < l; q++) yd[y0 + q] += round(xd[x0 + q * step] * wv);
            }
          }
        }
        if (b) for (let p = yBase; p < yBase + outPlane; p++) yd[p] = round(yd[p] + b.data[mi]);
      }
    }
    return [y];
  },
};
