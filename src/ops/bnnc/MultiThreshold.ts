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
  return {
    search, S, STEPS: Math.log2(S) + 1, BOUND: 2 * S - 1 <= nl ? '' : `l + s <= ${nl} && `,
    partial: 'MultiThreshold',
    comment: `${c.head}\n * ${nl + 1} levels from ${nl} thresholds per channel, ${ch} channels, ${h}x${wd} pixels`,
    P: h * wd, C: ch, L: nl, QMIN: (n.attrs.qmin as number | undefined) ?? 0, yt: c.ctype(n.outputs[0]),
    thresholds: c.array('thresholds', 'int32_t', t.data, 10),
    dirs: c.array('dirs', 'int8_t', dirs, 16),
  };
}
