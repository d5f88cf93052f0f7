// Reshape: the same elements under a new shape; a 0 copies the input's dimension (unless allowzero, opset
// 14), one -1 takes whatever is left. The shape operand must be a constant.
import { fail } from '../errors.js';
import { shapeText, sizeOf } from '../ir/tensor.js';
import type { Tensor } from '../ir/types.js';
import { intsOf, relabel } from './shape-operand.js';
import type { OpContext, OpDef } from './types.js';
import { attrInt, need, needConst, where } from './util.js';

function target(ctx: OpContext, inShape: readonly number[], spec: Tensor): number[] {
  const dims = intsOf(ctx, spec, 1);
  const allowZero = attrInt(ctx, 'allowzero') !== 0;
  const bad = (why: string): never => fail('BNNC_E009', `cannot reshape ${shapeText(inShape)} to ${shapeText(dims)}: ${why}`, where(ctx, ctx.node.inputs[1]));
  if (dims.filter((d) => d === -1).length > 1) bad('more than one -1');
  if (allowZero && dims.includes(0) && dims.includes(-1)) bad('allowzero forbids 0 beside -1');
  const out = dims.map((d, i) => {
    if (d < -1) bad(`dimension ${d}`);
    if (d !== 0 || allowZero) return d;
    if (i >= inShape.length) bad(`a 0 at position ${i} has no input dimension to copy`);
    return inShape[i];
  });
  const known = sizeOf(out.filter((d) => d !== -1));
  const total = sizeOf(inShape);
  const hole = out.indexOf(-1);
  if (hole >= 0) {
    if (known === 0 || total % known !== 0) bad(`${total} elements do not divide into ${known}`);
    out[hole] = total / known;
  } else if (known !== total) bad(`${total} elements, not ${known}`);
  return out;
}

export const Reshape: OpDef = {
  op: 'Reshape',
  domain: '',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  attrs: { allowzero: { kind: 'int', default: 0 } },
  infer(ctx, inputs, consts) {
    const x = need(ctx, inputs, 0);
    return [{ dtype: x.dtype, shape: target(ctx, x.shape, needConst(ctx, consts, 1)) }];
  },
  eval(ctx, inputs) {
    const x = need(ctx, inputs, 0);
    return [relabel(x, target(ctx, x.shape, need(ctx, inputs, 1)))];
  },
};
