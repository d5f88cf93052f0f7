// PLACEHOLDER: being written; replaced by the real definition.
import type { OpDef } from '../types.js';

export const BipolarQuant: OpDef = {
  op: 'BipolarQuant',
  domain: 'qonnx',
  inputs: { min: 0, max: 99 },
  outputs: { min: 0, max: 99 },
  attrs: {},
  infer: () => { throw new Error('BipolarQuant: not written yet'); },
  eval: () => { throw new Error('BipolarQuant: not written yet'); },
};
