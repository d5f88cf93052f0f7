// PLACEHOLDER: being written; replaced by the real definition.
import type { OpDef } from './types.js';

export const Squeeze: OpDef = {
  op: 'Squeeze',
  domain: '',
  inputs: { min: 0, max: 99 },
  outputs: { min: 0, max: 99 },
  attrs: {},
  infer: () => { throw new Error('Squeeze: not written yet'); },
  eval: () => { throw new Error('Squeeze: not written yet'); },
};
