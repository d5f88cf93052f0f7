// Binarization: the float graph → an integer-only network of bnnc ops (XnorConv, IntConv, Threshold,
// BinaryMaxPool, AccPool, Epilogue), walking the nodes in order and tracking how each float value is
// represented (values.ts): the raw integer input, an int32 accumulator with a pending per-channel float
// chain, packed binary activations, or an ordinary float tensor (after the last binary layer's epilogue).
// Each node is lowered by the rule its input's kind has for the node's role (the table KINDS).
// Thresholds and epilogue constants come from src/lower/chain.ts, whose header derives them.
import { bug, fail } from '../errors.js';
import type { Graph, InputQuant, Node } from '../ir/types.js';
import { ACCUMULATOR } from './accumulator.js';
import { PACKED_BITS } from './bits.js';
import { Lowering } from './context.js';
import { modelInputQuant, RAW_INPUT } from './input.js';
import { INT_TENSOR } from './int.js';
import { lowerJoin } from './join.js';
import { quantOf } from './quantizer.js';
import { type KindRules, type KindTable, roleOf, type Value } from './values.js';

export { modelInputQuant };
export type { InputQuant };

export interface LowerOptions {
  /** Required when the graph input is float: how raw integer inputs map to it. */
  readonly inputQuant?: InputQuant;
}

/** An ordinary float tensor: every op on it is copied as it is. */
const FLOAT_TAIL: KindRules<Value & { kind: 'float' }> = {
  other: (lw, n) => lw.copyFloat(n),
  join: (lw, n) => lw.copyFloat(n),
  output: () => {},
  refuse: () => { throw new Error('bnnc bug: a float tail takes every op'); },
};

/** What each kind of value can feed: the lowering's one dispatch. */
export const KINDS: KindTable = { input: RAW_INPUT, acc: ACCUMULATOR, bits: PACKED_BITS, int: INT_TENSOR, float: FLOAT_TAIL };

function rules(v: Value): KindRules<Value> {
  return KINDS[v.kind] as KindRules<Value>;
}

export function lowerGraph(g: Graph, opts: LowerOptions = {}): Graph {
  const lw = new Lowering(g);
  if (g.inputs.length !== 1) fail('BNNC_E031', `the model has ${g.inputs.length} inputs; bnnc lowers single-input models`);
  const input = g.inputs[0];
  const own = modelInputQuant(g);
  if (input.type.dtype === 'uint8' || input.type.dtype === 'int8') {
    lw.inputType = input.type;
  } else {
    const q = opts.inputQuant ?? own?.quant;
    if (own && !opts.inputQuant) lw.inputQuantNode = own.node;
    lw.quant = q;
    if (!q) {
      fail('BNNC_E031', `the input is ${input.type.dtype}; declare how raw 8-bit input maps to it with --input-scale (and --input-zero-point), e.g. --input-scale 1/255 for pixel/255`, { tensor: input.name });
    }
    lw.inputType = { dtype: q.dtype, shape: input.type.shape };
  }
  lw.set(input.name, { kind: 'input', name: input.name, steps: [], floatShape: input.type.shape });
  for (const n of g.nodes) visit(lw, n);
  for (const o of g.outputs) {
    const v = lw.vals.get(o) ?? lw.refuseOutput(o, 'not computed by a binary layer');
    rules(v).output(lw, o, v);
  }
  return lw.finish(input.name, opts.inputQuant ?? own?.quant);
}

/** Each kind of value as a diagnostic names it. */
const KIND_WORDS: Readonly<Record<Value['kind'], string>> = {
  input: 'the raw input', acc: 'a layer\'s sums', bits: 'binary activations', int: 'an integer stream', float: 'a float tensor',
};

function visit(lw: Lowering, n: Node): void {
  const dyn = n.inputs.map((s, i) => ({ s, i })).filter(({ s }) => s !== '' && !lw.g.initializers.has(s));
  if (dyn.length === 0) return lw.copyFloat(n);
  if (dyn.length > 1) {
    // several computed inputs: the join rule of their (one) kind (float tails), else a residual Add or a channel
    // Concat of integer kinds (join.ts)
    const vals = dyn.map(({ s }) => lw.vals.get(s));
    const kind = vals[0]?.kind;
    const join = kind && vals.every((v) => v?.kind === kind) ? rules(vals[0]!).join : undefined;
    if (join) return join(lw, n, vals as Value[]);
    if (lowerJoin(lw, n, vals)) return;
    if (n.domain === 'qonnx' && n.op === 'Quant' && dyn[0].i === 0) quantOf(lw.g, n); // a computed scale: BNNC_E110
    fail('BNNC_E031', `this node combines several computed tensors (${vals.map((v) => KIND_WORDS[v?.kind ?? 'float']).join(' and ')}); bnnc joins a residual Add of layer sums and integer streams followed by a quantizer, and a channel Concat of binary activations or of integer streams`, lw.where(n));
  }
  const slot = dyn[0].i;
  const val = lw.vals.get(dyn[0].s);
  bug(val, `value '${dyn[0].s}' not lowered before '${n.name}'`);
  const role = roleOf(n, slot);
  const r = rules(val);
  const rule = r[role] ?? r.other;
  if (!rule) return r.refuse(lw, n, role, val);
  rule(lw, n, slot, val);
}
