// PLACEHOLDER: being written; replaced by the real definition.
import type { OpDef } from './types.js';

export const Dropout: OpDef = {
  op: 'Dropout',
  domain: '',
  inputs: { min: 0, max: 99 },
  outputs: { min: 0, max: 99 },
  attrs: {},
  infer: () => { throw new Error('Dropout: not written yet'); },
  eval: () => { throw new Error('Dropout: not written yet'); },
};
