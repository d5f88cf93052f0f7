// An int32 accumulator with its pending per-channel float chain: the chain grows over elementwise float
// ops; a sign ends it in bnnc.Threshold (→ packed bits); a MaxPool before the sign pools the accumulators
// in the chain's direction (bnnc.AccPool); anything else, or a graph output, ends the binary part with the
// affine chain folded into bnnc.Epilogue (→ a float tail).
import { fail } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, Node } from '../ir/types.js';
import { chainDirection, deriveThresholds, foldAffine } from './chain.js';
import type { Lowering } from './context.js';
import { constWeights } from './layer.js';
import { continueChain } from './steps.js';
import { type Accumulator, CHAIN_QONNX, type KindRules } from './values.js';

/** The chain ends in a sign: per-channel integer thresholds on the accumulator (bnnc.Threshold, NHWC). */
function binarize(lw: Lowering, n: Node, val: Accumulator): void {
  const out = n.outputs[0];
  const th = deriveThresholds(lw.g, val.chain, val.lo, val.hi, { node: n.name });
  const bits = lw.fresh(`${out}__bits`);
  lw.emit({ name: n.name, op: 'Threshold', domain: 'bnnc', inputs: [val.name, lw.addInit(`${out}__t`, tensor('int32', [val.C], th.t)), lw.addInit(`${out}__k`, tensor('int8', [val.C], th.kind))], outputs: [bits], attrs: { layout: 'NHWC' } });
  lw.set(out, { kind: 'bits', name: bits, C: val.C, H: val.H, W: val.W, flat: false });
}

/**
 * Turns an accumulator into the float32 tensor `from` of the float graph, y = acc·scale + bias (the
 * affine chain folded); later float ops read it under its own name.
 */
function epilogue(lw: Lowering, from: string, val: Accumulator): void {
  const { scale, bias } = foldAffine(lw.g, val.chain, { node: from });
  const rank = lw.shape(from).length;
  lw.emit({
    name: `${from}/epilogue`, op: 'Epilogue', domain: 'bnnc',
    inputs: [val.name, lw.addInit(`${from}__scale`, tensor('float32', [val.C], scale)), lw.addInit(`${from}__bias`, tensor('float32', [val.C], bias))],
    outputs: [from], attrs: { layout: 'NCHW', rank },
  });
  lw.set(from, { kind: 'float', name: from });
}

const chainStep = (lw: Lowering, n: Node, slot: number, v: Accumulator): void =>
  continueChain(lw, n, slot, v, { ...v, chain: { ...v.chain, steps: [...v.chain.steps, { node: n, slot }] } }, binarize);

export const ACCUMULATOR: KindRules<Accumulator> = {
  layer(lw, n, _slot, v) {
    constWeights(lw, n);
    ACCUMULATOR.refuse(lw, n, 'layer', v);
  },
  pool(lw, n, _slot, val) {
    const out = n.outputs[0];
    const s = lw.shape(out);
    const dir = chainDirection(lw.g, val.chain, val.lo, val.hi);
    const name = lw.fresh(`${out}__acc`);
    lw.emit({ name: n.name, op: 'AccPool', domain: 'bnnc', inputs: [val.name, lw.addInit(`${out}__dir`, tensor('int8', [val.C], dir))], outputs: [name], attrs: lw.poolAttrs(n) });
    lw.set(out, { ...val, name, H: s[2], W: s[3] });
  },
  chain: chainStep,
  reshape: chainStep,
  other(lw, n, slot, v) {
    epilogue(lw, n.inputs[slot], v);
    lw.copyFloat(n);
  },
  output: epilogue,
  refuse(lw, n, _role, v) {
    const act = v.chain.steps.map((s) => s.node).find((s) => s.domain === 'qonnx' && CHAIN_QONNX.has(s.op));
    if (act) fail('BNNC_E031', `this layer reads '${act.name}' (${act.op}), a multi-level activation${levelsOf(lw.g, act)}; bnnc lowers binary activations (two levels, −1 and +1) only`, lw.where(n));
    return fail('BNNC_E031', 'this layer reads another layer\'s output without a sign in between; bnnc needs binary activations (or the raw input) in front of each binary layer', lw.where(n));
  },
};

/** ", N levels" for a quantizer whose level count is known from its constants, else "". */
function levelsOf(g: Graph, n: Node): string {
  if (n.op === 'MultiThreshold') {
    const th = g.initializers.get(n.inputs[1]);
    return th ? ` (${th.shape[th.shape.length - 1]} thresholds: ${th.shape[th.shape.length - 1] + 1} levels)` : '';
  }
  const bits = n.op === 'Quant' ? g.initializers.get(n.inputs[3])?.data[0] : undefined;
  return bits !== undefined ? ` (${bits}-bit: ${2 ** bits} levels)` : '';
}
