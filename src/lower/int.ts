// A k-bit integer tensor (values.ts IntTensor): what it can feed. Nothing produces one yet; the rules of
// issue #12 (a binary layer over k-bit activations, pools, flattening) and #13 (residual joins) go here.
import { fail } from '../errors.js';
import type { IntTensor, KindRules } from './values.js';

export const INT_TENSOR: KindRules<IntTensor> = {
  output: (lw, name) => lw.refuseOutput(name, 'an integer activation'),
  refuse: (lw, n) => fail('BNNC_E031', `${n.op} on integer activations is not supported`, lw.where(n)),
};
