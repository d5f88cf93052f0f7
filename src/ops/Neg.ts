// PLACEHOLDER: being written; replaced by the real definition.
import type { OpDef } from './types.js';

export const Neg: OpDef = {
  op: 'Neg',
  domain: '',
  inputs: { min: 0, max: 99 },
  outputs: { min: 0, max: 99 },
  attrs: {},
  infer: () => { throw new Error('Neg: not written yet'); },
  eval: () => { throw new Error('Neg: not written yet'); },
};
