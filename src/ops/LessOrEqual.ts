// PLACEHOLDER: being written; replaced by the real definition.
import type { OpDef } from './types.js';

export const LessOrEqual: OpDef = {
  op: 'LessOrEqual',
  domain: '',
  inputs: { min: 0, max: 99 },
  outputs: { min: 0, max: 99 },
  attrs: {},
  infer: () => { throw new Error('LessOrEqual: not written yet'); },
  eval: () => { throw new Error('LessOrEqual: not written yet'); },
};
