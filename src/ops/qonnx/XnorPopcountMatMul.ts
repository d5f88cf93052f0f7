// PLACEHOLDER: being written; replaced by the real definition.
import type { OpDef } from '../types.js';

export const XnorPopcountMatMul: OpDef = {
  op: 'XnorPopcountMatMul',
  domain: 'qonnx',
  inputs: { min: 0, max: 99 },
  outputs: { min: 0, max: 99 },
  attrs: {},
  infer: () => { throw new Error('XnorPopcountMatMul: not written yet'); },
  eval: () => { throw new Error('XnorPopcountMatMul: not written yet'); },
};
