// An int32 accumulator with its pending per-channel float chain: the chain grows over elementwise float
// ops; a sign ends it in bnnc.Threshold (→ packed bits); a MaxPool before the sign pools the accumulators
// in the chain's direction (bnnc.AccPool). A chain ending in the model's multi-level activation quantizer
// (quantizer.ts) stays pending until something reads integers: a binary layer, a float op or a graph
// output then gets k-bit levels (bnnc.MultiThreshold → an IntTensor, int.ts). Anything else, or a graph
// output, ends the binary part with the affine chain folded into bnnc.Epilogue (→ a float tail).
import { fail } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, Node } from '../ir/types.js';
import { avgPoolAcc, isAvgPool } from './avgpool.js';
import { monotoneStep } from './int-chain.js';
import { chainDirection, deriveThresholds, foldAffine, isShapeOnly } from './chain.js';
import type { Lowering } from './context.js';
import { constWeights } from './layer.js';
import { dequantize, INT_TENSOR } from './int.js';
import { chainQuantizer, deriveLevels, quantOf } from './quantizer.js';
import { bitLevels, levelAttrs } from './levels.js';
import { continueChain } from './steps.js';
import { type Accumulator, CHAIN_QONNX, type IntTensor, type KindRules } from './values.js';

/** The chain ends in a sign: per-channel integer thresholds on the accumulator (bnnc.Threshold, NHWC). */
function binarize(lw: Lowering, n: Node, val: Accumulator): void {
  const out = n.outputs[0];
  const th = deriveThresholds(lw.g, val.chain, val.lo, val.hi, { node: n.name });
  const bits = lw.fresh(`${out}__bits`);
  lw.emit({ name: n.name, op: 'Threshold', domain: 'bnnc', inputs: [val.name, lw.addInit(`${out}__t`, tensor('int32', [val.C], th.t)), lw.addInit(`${out}__k`, tensor('int8', [val.C], th.kind))], outputs: [bits], attrs: { layout: 'NHWC', ...levelAttrs(th.levels) } });
  lw.set(out, { kind: 'bits', name: bits, C: val.C, H: val.H, W: val.W, flat: false, ...bitLevels(th.levels) });
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

/**
 * The chain ends in an activation quantizer: its levels q per channel by thresholds on the accumulator
 * (bnnc.MultiThreshold, NHWC), as the k-bit IntTensor standing for the float tensor `from`; undefined when
 * the chain ends in no quantizer.
 */
export function quantize(lw: Lowering, from: string, val: Accumulator): IntTensor | undefined {
  const qz = chainQuantizer(lw.g, val.chain, val.lo, val.hi);
  if (!qz) return undefined;
  const { qmin, qmax } = qz;
  if (qmin < -128 || qmax > (qmin < 0 ? 127 : 255)) fail('BNNC_E111', `activation levels ${qmin} … ${qmax} fit neither int8 nor uint8`, { node: qz.node.name, op: qz.node.op });
  const th = deriveLevels(lw.g, val.chain, qz, val.lo, val.hi);
  const dtype = qmin < 0 ? 'int8' : 'uint8';
  const L = qmax - qmin;
  const name = lw.fresh(`${from}__q`);
  lw.emit({ name: qz.node.name, op: 'MultiThreshold', domain: 'bnnc',
    inputs: [val.name, lw.addInit(`${from}__levels_t`, tensor('int32', [val.C, L], th.t)), lw.addInit(`${from}__dir`, tensor('int8', [val.C], th.dir))],
    outputs: [name], attrs: { qmin, out_dtype: dtype } });
  const bits = Math.max(1, Math.ceil(Math.log2(L + 1)));
  return { kind: 'int', name, C: val.C, H: val.H, W: val.W, flat: lw.shape(from).length === 2, dtype, bits, qmin, qmax, scale: qz.scale, zeroPoint: qz.zeroPoint, levels: qz.levels };
}

const chainStep = (lw: Lowering, n: Node, slot: number, v: Accumulator): void => {
  quantOf(lw.g, n); // a multi-level QONNX Quant's constants, checked where the node is (BNNC_E110–E114)
  monotoneStep(lw, n); // a PRelu must keep the chain monotone (int-chain.ts)
  continueChain(lw, n, slot, v, { ...v, chain: { ...v.chain, steps: [...v.chain.steps, { node: n, slot }] } }, binarize);
};

export const ACCUMULATOR: KindRules<Accumulator> = {
  layer(lw, n, slot, v) {
    constWeights(lw, n);
    const q = quantize(lw, n.inputs[slot], v);
    if (!q) return ACCUMULATOR.refuse(lw, n, 'layer', v);
    INT_TENSOR.layer!(lw, n, slot, q);
  },
  pool(lw, n, _slot, val) {
    if (isAvgPool(n)) return avgPoolAcc(lw, n, val) ? undefined : ACCUMULATOR.other!(lw, n, _slot, val);
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
    const q = quantize(lw, n.inputs[slot], v);
    if (q) dequantize(lw, n.inputs[slot], q); else epilogue(lw, n.inputs[slot], v);
    lw.copyFloat(n);
  },
  output(lw, name, v) {
    const q = quantize(lw, name, v);
    if (q) dequantize(lw, name, q); else epilogue(lw, name, v);
  },
  refuse(lw, n, _role, v) {
    const act = v.chain.steps.map((s) => s.node).find((s) => s.domain === 'qonnx' && CHAIN_QONNX.has(s.op));
    if (act) {
      const after = v.chain.steps.slice(v.chain.steps.findIndex((s) => s.node === act) + 1).map((s) => s.node).filter((s) => !isShapeOnly(s));
      fail('BNNC_E031', `this layer reads '${act.name}' (${act.op}), a multi-level activation${levelsOf(lw.g, act)}, through ${after.map((s) => `${s.op} '${s.name}'`).join(', ') || 'ops'} after it; bnnc lowers k-bit activations that a layer reads directly (through shape-only ops or max-pooling)`, lw.where(n));
    }
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
