// A float op continuing a per-channel chain (on the raw input or on an accumulator): checked to be
// constant per channel, appended as a step; a sign-like op ending the chain binarizes it (the kind's own
// `binarize`: thresholds on the integers it holds).
import { fail } from '../errors.js';
import { shapeText } from '../ir/tensor.js';
import type { Node } from '../ir/types.js';
import { binaryActivationForm } from '../analyze/binary.js';
import { isShapeOnly } from './chain.js';
import type { Lowering } from './context.js';
import type { Accumulator, RawInput } from './values.js';

/**
 * Appends node `n` to the chain of `val` (`next` is `val` with the step added); ends it with `binarize`
 * when `n` is a binary activation that nothing continues elementwise.
 */
export function continueChain<V extends RawInput | Accumulator>(lw: Lowering, n: Node, slot: number, val: V, next: V, binarize: (lw: Lowering, n: Node, v: V) => void): void {
  const out = n.outputs[0];
  if (!isShapeOnly(n)) checkPerChannel(lw, n, slot, val);
  if (binaryActivationForm(lw.g, n) && !chainContinues(lw, out)) return binarize(lw, n, next);
  lw.set(out, next);
}

/** True when a sign's only consumer continues elementwise (Larq's Sign(Sign(x) + c)). */
function chainContinues(lw: Lowering, out: string): boolean {
  const users = lw.consumers.get(out) ?? [];
  return users.length === 1 && !lw.g.outputs.includes(out) && users[0].domain === '' && ['Add', 'Sub', 'Mul', 'Sign'].includes(users[0].op)
    && users[0].inputs.filter((s) => !lw.g.initializers.has(s)).length === 1;
}

/** Chain operands must be constant per channel (axis 1) or scalars; for the raw input, scalars only. */
function checkPerChannel(lw: Lowering, n: Node, slot: number, val: RawInput | Accumulator): void {
  const shape = lw.shape(n.inputs[slot]);
  n.inputs.forEach((s, i) => {
    if (i === slot || s === '') return;
    const t = lw.konst(s);
    if (!t) fail('BNNC_E031', `operand '${s}' is not a constant`, lw.where(n, s));
    if (n.op === 'BatchNormalization' || n.op === 'MultiThreshold' || val.kind === 'input') return; // checked by the replay
    const r = shape.length;
    const ok = t.shape.every((d, k) => d === 1 || r - t.shape.length + k === 1);
    if (!ok) fail('BNNC_E031', `operand '${s}' of shape ${shapeText(t.shape)} varies along more than the channel axis of ${shapeText(shape)}`, lw.where(n, s));
  });
}
