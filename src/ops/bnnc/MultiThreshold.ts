// MultiThreshold (bnnc): int32 sums of a binary layer (NHWC) to k-bit activation levels q, by L integer
// thresholds per channel: q = qmin + #{l : a ≥ T[c, l]} on increasing channels (dirs[c] = 1), qmin +
// #{l : a ≤ T[c, l]} on decreasing ones (dirs[c] = −1); out int8 or uint8 (attribute out_dtype), NHWC.
// The lowering (src/lower/quantizer.ts) derives T from the float ops between the sum and the model's
// activation quantizer; a threshold below every reachable sum always counts, one above it never does.
// The arithmetic is multiThreshold in src/numeric/kernels.ts (which the ts target copies).
import { fail } from '../../errors.js';
import { shapeText, tensor } from '../../ir/tensor.js';
import type { Tensor, TensorType } from '../../ir/types.js';
import { multiThreshold } from '../../numeric/kernels.js';
import type { CDataContext, CLayer } from '../c-layer.js';
import { kernelCall, type OpContext, type OpDef } from '../types.js';
import { attrString, expectDType, expectRank, need, where } from '../util.js';
import { expect4, expectValues, expectVector, intAttr, withDefaults } from './common.js';

const ATTRS = { qmin: { kind: 'int', default: 0 }, out_dtype: { kind: 'string', default: 'uint8' } } as const;
const RANGE = { int8: [-128, 127], uint8: [0, 255] } as const;

function check(ctx: OpContext, a: TensorType, t: TensorType, d: TensorType, dConst?: Tensor): { dtype: 'int8' | 'uint8'; qmin: number } {
  expect4(ctx, a, 0, ['int8', 'int16', 'int32']); // int8/int16: a chain on a k-bit stream (int-chain.ts)
  const c = a.shape[3];
  expectDType(ctx, t, 1, ['int32']);
  expectRank(ctx, t, 1, 2);
  if (t.shape[0] !== c || t.shape[1] < 1) fail('BNNC_E009', `thresholds have shape ${shapeText(t.shape)}; expected [${c}, L ≥ 1]`, where(ctx, ctx.node.inputs[1]));
  expectVector(ctx, d, 2, 'int8', c, 'the direction vector');
  expectValues(ctx, dConst, 2, [1, -1], 'dirs');
  const dtype = attrString(ctx, 'out_dtype');
  if (dtype !== 'int8' && dtype !== 'uint8') fail('BNNC_E017', `'out_dtype' is ${JSON.stringify(dtype)}; expected int8 or uint8`, where(ctx));
  const qmin = intAttr(ctx, 'qmin', {});
  if (qmin < RANGE[dtype][0] || qmin + t.shape[1] > RANGE[dtype][1]) {
    fail('BNNC_E017', `levels ${qmin} … ${qmin + t.shape[1]} do not fit ${dtype}`, where(ctx));
  }
  return { dtype, qmin };
}

export const MultiThreshold: OpDef = {
  op: 'MultiThreshold',
  domain: 'bnnc',
  inputs: { min: 3, max: 3 },
  outputs: { min: 1, max: 1 },
  attrs: ATTRS,
  cData: multiThresholdCData,
  infer(ctx0, inputs, consts) {
    const ctx = withDefaults(ctx0, ATTRS);
    const a = need(ctx, inputs, 0);
    const { dtype } = check(ctx, a, need(ctx, inputs, 1), need(ctx, inputs, 2), consts[2]);
    return [{ dtype, shape: a.shape }];
  },
  eval(ctx0, inputs) {
    const ctx = withDefaults(ctx0, ATTRS);
    const a = need(ctx, inputs, 0), t = need(ctx, inputs, 1), d = need(ctx, inputs, 2);
    const { dtype, qmin } = check(ctx, a, t, d, d);
    return [tensor(dtype, a.shape, multiThreshold(a.data, t.data, d.data, qmin, dtype === 'int8'))];
  },
  ts(ctx0, inputs, consts) {
    const ctx = withDefaults(ctx0, ATTRS);
    const { dtype, qmin } = check(ctx, need(ctx, inputs, 0), need(ctx, inputs, 1), need(ctx, inputs, 2), consts[2]);
    const [a, t, d] = ctx.node.inputs;
    return kernelCall(multiThreshold, a, t, d, qmin, dtype === 'int8');
  },
};

// ---- C data (cData hook): the numbers MultiThreshold.c.hbs lays out.
function multiThresholdCData(c: CDataContext): CLayer {
  const n = c.node;
  const [, h, wd, ch] = c.type(n.inputs[0]).shape;
  const t = c.init(n.inputs[1]);
  const nl = t.shape[1];
  const dirs = c.init(n.inputs[2]).data;
  // sorted thresholds (ascending on increasing channels, descending on decreasing ones; the lowering's are)
  // let the C find the count by binary search; any other table keeps the plain count, same result
  let sorted = true;
  for (let ci = 0; ci < ch && sorted; ci++) {
    for (let l = 1; l < nl && sorted; l++) {
      const prev = t.data[ci * nl + l - 1], cur = t.data[ci * nl + l];
      sorted = dirs[ci] === 1 ? prev <= cur : prev >= cur;
    }
  }
  const S = 2 ** Math.floor(Math.log2(nl));
  const search = sorted && nl > 4;
  const compact = search ? compactTable(t.data, ch, nl, dirs) : undefined;
  return {
    search, S, STEPS: Math.log2(S) + 1, BOUND: 2 * S - 1 <= nl ? '' : `l + s <= ${nl} && `,
    partial: 'MultiThreshold',
    comment: `${c.head}\n * ${nl + 1} levels from ${nl} thresholds per channel, ${ch} channels, ${h}x${wd} pixels`,
    P: h * wd, C: ch, L: nl, QMIN: (n.attrs.qmin as number | undefined) ?? 0, yt: c.ctype(n.outputs[0]),
    dirs: c.array('dirs', 'int8_t', dirs, 16),
    ...(compact
      ? {
          compact: true, SH: compact.shift, ct: compact.ctype,
          bases: c.array('thr_base', 'int32_t', compact.bases, 10),
          steps: c.array('thr_step', 'int32_t', compact.steps, 10),
          corrections: c.array('thr_corr', compact.ctype, compact.corrections, 16),
        }
      : { compact: false, thresholds: c.array('thresholds', 'int32_t', t.data, 10) }),
  };
}

const I32_MAX = 2 ** 31 - 1;
const fitsI32 = (v: number): boolean => v >= -(2 ** 31) && v <= I32_MAX;

/**
 * A sorted channel's thresholds lie close to an arithmetic progression (an affine chain, then a uniform
 * quantizer), so they are stored as T[c, l] = b_c ± ((l·s_c) >> SH) + d[c, l] (+ on increasing channels,
 * − on decreasing ones): b_c = T[c, 0], s_c = round(|T[c, L−1] − b_c|·2^SH / (L−1)) ≥ 0, so l·s_c ≥ 0 and
 * the shift is exact floor division with no implementation-defined C; d the remainder. SH is the largest
 * of 16 … 0 with (L−1)·s_c ≤ 2^31 − 1 on every channel, so l·s_c never overflows int32; every partial
 * sum b_c ± p is checked too. d takes the narrowest of int8, int16 holding every channel's corrections;
 * undefined (keep the int32 table) when none does or nothing fits int32.
 */
function compactTable(t: ArrayLike<number>, ch: number, nl: number, dirs: ArrayLike<number>):
  { shift: number; ctype: 'int8_t' | 'int16_t'; bases: number[]; steps: number[]; corrections: number[] } | undefined {
  const span = (ci: number): number => Math.abs(t[ci * nl + nl - 1] - t[ci * nl]);
  let shift = 16;
  const stepOf = (ci: number, sh: number): number => Math.round((span(ci) * 2 ** sh) / (nl - 1));
  const fits = (sh: number): boolean => {
    for (let ci = 0; ci < ch; ci++) if (stepOf(ci, sh) * (nl - 1) > I32_MAX) return false;
    return true;
  };
  while (shift >= 0 && !fits(shift)) shift--;
  if (shift < 0) return undefined;
  const bases: number[] = [], steps: number[] = [], corrections: number[] = [];
  let lo = 0, hi = 0;
  for (let ci = 0; ci < ch; ci++) {
    const base = t[ci * nl], step = stepOf(ci, shift), sign = dirs[ci] === 1 ? 1 : -1;
    bases.push(base);
    steps.push(step);
    for (let l = 0; l < nl; l++) {
      const approx = base + sign * Math.floor((l * step) / 2 ** shift);
      const d = t[ci * nl + l] - approx;
      if (!fitsI32(approx) || !fitsI32(d)) return undefined;
      corrections.push(d);
      lo = Math.min(lo, d);
      hi = Math.max(hi, d);
    }
  }
  if (lo >= -128 && hi <= 127) return { shift, ctype: 'int8_t', bases, steps, corrections };
  if (lo >= -32768 && hi <= 32767) return { shift, ctype: 'int16_t', bases, steps, corrections };
  return undefined;
}
