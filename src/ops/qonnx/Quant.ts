// PLACEHOLDER: being written; replaced by the real definition.
import type { OpDef } from '../types.js';

export const Quant: OpDef = {
  op: 'Quant',
  domain: 'qonnx',
  inputs: { min: 0, max: 99 },
  outputs: { min: 0, max: 99 },
  attrs: {},
  infer: () => { throw new Error('Quant: not written yet'); },
  eval: () => { throw new Error('Quant: not written yet'); },
};
