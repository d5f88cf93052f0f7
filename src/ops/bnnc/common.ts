// Shared by the lowered ops: attribute defaults (a lowering pass may build nodes without resolving them),
// the 2-D NHWC window geometry (ONNX's rules, through sliding-window.ts), and small input checks.
import { fail } from '../../errors.js';
import { shapeText } from '../../ir/tensor.js';
import type { DType, Tensor, TensorType } from '../../ir/types.js';
import type { Win } from '../../numeric/kernels.js';
import { resolveWindow, windowTaps, type Taps, type Window } from '../sliding-window.js';
import type { AttrSpec, OpContext } from '../types.js';
import { attrInts, expectDType, expectRank, where } from '../util.js';

export const INTS: readonly DType[] = ['uint8', 'int8', 'int16', 'int32'];

/** The window attributes of every lowered windowed op (2-D; pads as ONNX: [top, left, bottom, right]). */
export const WINDOW: Readonly<Record<string, AttrSpec>> = {
  kernel_shape: { kind: 'ints' },
  strides: { kind: 'ints', default: [1, 1] },
  pads: { kind: 'ints', default: [0, 0, 0, 0] },
  dilations: { kind: 'ints', default: [1, 1] },
};

/** The context with every absent attribute set to its schema default. */
export function withDefaults(ctx: OpContext, specs: Readonly<Record<string, AttrSpec>>): OpContext {
  const attrs = { ...ctx.attrs };
  for (const [k, s] of Object.entries(specs)) {
    if (attrs[k] === undefined && s.default !== undefined) attrs[k] = s.default;
    if (attrs[k] === undefined && s.required) fail('BNNC_E006', `attribute '${k}' (${s.kind}) is required`, where(ctx));
  }
  return { ...ctx, attrs };
}

/** An integer attribute, checked against a set or a minimum. */
export function intAttr(ctx: OpContext, name: string, check: { min?: number; oneOf?: readonly number[] }): number {
  const v = ctx.attrs[name];
  const ok = typeof v === 'number' && Number.isInteger(v) && (check.min === undefined || v >= check.min)
    && (check.oneOf === undefined || check.oneOf.includes(v));
  if (!ok) {
    const want = check.oneOf ? `one of ${check.oneOf.join(', ')}` : `an integer >= ${check.min}`;
    fail('BNNC_E017', `'${name}' is ${JSON.stringify(v)}; expected ${want}`, where(ctx));
  }
  return v as number;
}

export function layoutAttr(ctx: OpContext): 'NCHW' | 'NHWC' {
  const v = ctx.attrs.layout;
  if (v !== 'NCHW' && v !== 'NHWC') fail('BNNC_E017', `'layout' is ${JSON.stringify(v)}; expected NCHW or NHWC`, where(ctx));
  return v;
}

/** Checks input i is a rank-4 tensor of one of `dtypes`. */
export function expect4(ctx: OpContext, t: TensorType, i: number, dtypes: readonly DType[]): void {
  expectDType(ctx, t, i, dtypes);
  expectRank(ctx, t, i, 4);
}

/** Checks input i is a vector [n] of `dtype`. */
export function expectVector(ctx: OpContext, t: TensorType, i: number, dtype: DType, n: number, what: string): void {
  expectDType(ctx, t, i, [dtype]);
  if (t.shape.length !== 1 || t.shape[0] !== n) {
    fail('BNNC_E009', `${what} has shape ${shapeText(t.shape)}; expected [${n}]`, where(ctx, ctx.node.inputs[i]));
  }
}

/** Checks a constant input's values all lie in `allowed`. */
export function expectValues(ctx: OpContext, t: Tensor | undefined, i: number, allowed: readonly number[], what: string): void {
  if (!t) return;
  const bad = Array.from(t.data as ArrayLike<number>).findIndex((v) => !allowed.includes(v));
  if (bad >= 0) {
    fail('BNNC_E017', `${what}[${bad}] is ${t.data[bad]}; expected one of ${allowed.join(', ')}`, where(ctx, ctx.node.inputs[i]));
  }
}

/**
 * The geometry of a 2-D window over an [H, W] input (ONNX's output-size rules, ceil_mode included), with
 * `kernel` from the weight's shape or the `kernel_shape` attribute (which must agree when both exist).
 */
export function window2d(ctx: OpContext, inSize: readonly [number, number], kernel: readonly number[] | undefined, ceilMode = false): Window {
  const ks = attrInts(ctx, 'kernel_shape');
  if (kernel && ks && (ks.length !== 2 || ks[0] !== kernel[0] || ks[1] !== kernel[1])) {
    fail('BNNC_E009', `kernel_shape [${ks.join(',')}] disagrees with the weight's ${shapeText(kernel)}`, where(ctx, ctx.node.inputs[1]));
  }
  const k = kernel ?? ks;
  if (!k) fail('BNNC_E006', "attribute 'kernel_shape' (ints) is required", where(ctx));
  return resolveWindow({ ...ctx, attrs: { ...ctx.attrs, auto_pad: 'NOTSET' } }, inSize, k, ceilMode);
}

/** The taps of a pooling window, failing when some window lies wholly in the padding (no value to pool). */
export function poolTaps(ctx: OpContext, win: Window): Taps {
  const taps = windowTaps(win);
  for (let p = 0; p + 1 < taps.start.length; p++) {
    if (taps.start[p + 1] === taps.start[p]) {
      fail('BNNC_E017', `pads [${win.padBegin},${win.padEnd}] leave output position ${p} with no input under the window`, where(ctx));
    }
  }
  return taps;
}

/** A 2-D window as the reference kernels take it (src/numeric/kernels.ts): plain numbers. */
export function kernelWin(win: Window): Win {
  return {
    h: win.inSize[0], w: win.inSize[1], oh: win.outSize[0], ow: win.outSize[1], kh: win.kernel[0], kw: win.kernel[1],
    sh: win.strides[0], sw: win.strides[1], dh: win.dilations[0], dw: win.dilations[1], pt: win.padBegin[0], pl: win.padBegin[1],
  };
}
