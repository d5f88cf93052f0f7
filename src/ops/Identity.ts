// Identity: the input, unchanged (removed by the normalization passes; kept here so graphs run as imported).
import type { OpDef } from './types.js';
import { need } from './util.js';

export const Identity: OpDef = {
  op: 'Identity',
  domain: '',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  attrs: {},
  infer: (ctx, inputs) => [need(ctx, inputs, 0)],
  eval: (ctx, inputs) => [need(ctx, inputs, 0)],
};
