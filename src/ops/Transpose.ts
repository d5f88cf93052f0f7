// Transpose: output axis i is input axis perm[i]; perm defaults to reversing the axes. Exact (a copy).
import { fail } from '../errors.js';
import { stridesOf, tensor } from '../ir/tensor.js';
import type { OpContext, OpDef } from './types.js';
import { attrInts, need, where } from './util.js';
import { increment } from './sliding-window.js';

function permOf(ctx: OpContext, rank: number): number[] {
  const p = attrInts(ctx, 'perm');
  if (!p) return Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (p.length !== rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    fail('BNNC_E006', `perm [${p.join(',')}] is not a permutation of the ${rank} axes`, where(ctx));
  }
  return [...p];
}

export const Transpose: OpDef = {
  op: 'Transpose',
  domain: '',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  attrs: { perm: { kind: 'ints' } },
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    return [{ dtype: x.dtype, shape: permOf(ctx, x.shape.length).map((a) => x.shape[a]) }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const perm = permOf(ctx, x.shape.length);
    const y = tensor(x.dtype, perm.map((a) => x.shape[a]));
    const inStr = stridesOf(x.shape);
    const step = perm.map((a) => inStr[a]); // input stride along each output axis
    const idx = new Array<number>(perm.length).fill(0);
    const xd = x.data, yd = y.data;
    for (let k = 0; k < yd.length; k++) {
      let at = 0;
      for (let i = 0; i < idx.length; i++) at += idx[i] * step[i];
      yd[k] = xd[at];
      increment(idx, y.shape);
    }
    return [y];
  },
};
