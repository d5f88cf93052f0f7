// PLACEHOLDER: being written; replaced by the real definition.
import type { OpDef } from './types.js';

export const Abs: OpDef = {
  op: 'Abs',
  domain: '',
  inputs: { min: 0, max: 99 },
  outputs: { min: 0, max: 99 },
  attrs: {},
  infer: () => { throw new Error('Abs: not written yet'); },
  eval: () => { throw new Error('Abs: not written yet'); },
};
