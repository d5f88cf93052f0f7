// One node's static output types from its op's shape rule: the arity checked against the op's schema,
// every inferred shape checked (valid, within the tensor size limit) before anything is allocated.
// Shared by shape inference (passes/infer-and-fold) and the lowering, which types the nodes it emits.
import { bug, fail } from '../errors.js';
import { checkDims } from '../ir/limits.js';
import { shapeText } from '../ir/tensor.js';
import type { Node, Tensor, TensorType } from '../ir/types.js';
import { lookupOp } from './index.js';
import type { OpDef } from './types.js';

/** The types of `node`'s outputs ('' outputs get undefined), given its inputs' types and constant values. */
export function inferNode(
  node: Node, typeOf: (name: string) => TensorType | undefined, constOf: (name: string) => Tensor | undefined, opset: number, maxBytes: number,
): { def: OpDef; types: (TensorType | undefined)[] } {
  const def = lookupOp(node.domain, node.op);
  bug(def, `no op definition for ${node.domain}::${node.op}`);
  const where = { node: node.name, op: node.op };
  const present = node.inputs.filter((s) => s !== '').length;
  if (node.inputs.length < def.inputs.min || node.inputs.length > def.inputs.max || present < Math.min(def.inputs.min, 1)) {
    fail('BNNC_E007', `has ${node.inputs.length} inputs; ${node.op} takes ${def.inputs.min === def.inputs.max ? def.inputs.min : `${def.inputs.min} to ${def.inputs.max}`}`, where);
  }
  if (node.outputs.length < def.outputs.min || node.outputs.length > def.outputs.max) {
    fail('BNNC_E007', `has ${node.outputs.length} outputs; ${node.op} gives ${def.outputs.min} to ${def.outputs.max}`, where);
  }
  const inTypes = node.inputs.map((s) => (s === '' ? undefined : typeOf(s)));
  node.inputs.forEach((s, i) => bug(s === '' || inTypes[i], `type of '${s}' unknown at '${node.name}'`));
  const consts = node.inputs.map((s) => (s === '' ? undefined : constOf(s)));
  const outTypes = def.infer({ node, attrs: node.attrs, opset }, inTypes, consts);
  const types = node.outputs.map((o, k) => {
    if (o === '') return undefined;
    const t = outTypes[k];
    bug(t, `${node.op} gave no type for output ${k}`);
    if (t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      fail('BNNC_E009', `output shape ${shapeText(t.shape)} is not valid`, { ...where, tensor: o });
    }
    checkDims(t.shape, t.dtype, maxBytes, { ...where, tensor: o });
    return t;
  });
  return { def, types };
}
