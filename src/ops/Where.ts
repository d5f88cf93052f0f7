// PLACEHOLDER: being written; replaced by the real definition.
import type { OpDef } from './types.js';

export const Where: OpDef = {
  op: 'Where',
  domain: '',
  inputs: { min: 0, max: 99 },
  outputs: { min: 0, max: 99 },
  attrs: {},
  infer: () => { throw new Error('Where: not written yet'); },
  eval: () => { throw new Error('Where: not written yet'); },
};
