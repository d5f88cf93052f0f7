// Shape: the input's dimensions as int64 (opset 15's start/end slice them). Folded at compile time from
// the static type alone, since bnnc compiles static shapes.
import { tensor } from '../ir/tensor.js';
import type { OpDef } from './types.js';
import { need } from './util.js';

function range(rank: number, start: number, end: number | undefined): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [clamp(start), end === undefined ? rank : clamp(end)];
}

export const Shape: OpDef = {
  op: 'Shape',
  domain: '',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  attrs: { start: { kind: 'int', default: 0 }, end: { kind: 'int' } },
  infer(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const [s, e] = range(x.shape.length, ctx.attrs.start as number, ctx.attrs.end as number | undefined);
    return [{ dtype: 'int64', shape: [Math.max(0, e - s)] }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    const [s, e] = range(x.shape.length, ctx.attrs.start as number, ctx.attrs.end as number | undefined);
    const dims = x.shape.slice(s, Math.max(s, e));
    return [tensor('int64', [dims.length], dims)];
  },
};
