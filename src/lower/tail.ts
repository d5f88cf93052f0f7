// The float tail: the float ops after the last binary layer's epilogue, which the lowering copies as they
// are. The back ends run only a few there (ArgMax, TopK, Softmax, LogSoftmax, Sigmoid, reshapes), so the
// lowering refuses any other one itself (BNNC_E160), naming where the float tail began and the binary
// layers it would leave in float: `check` lowers what `compile` lowers and refuses what it refuses.
// XNOR-Net's K scaling, which starts with such an op, gets its own diagnostic (BNNC_E164).
import { classifyWeight, weightChannelAxis } from '../analyze/binary.js';
import { fail } from '../errors.js';
import type { Node } from '../ir/types.js';
import { lookupOp } from '../ops/index.js';
import { isShapeOnly } from './chain.js';
import type { Lowering } from './context.js';
import { quantOf } from './quantizer.js';

/** True when the back ends run `n` on float values (a C data hook, or a ts kernel that portable-math turns into C). */
export function runsInTail(n: Node): boolean {
  if (isShapeOnly(n)) return true;
  const def = lookupOp(n.domain, n.op);
  return def?.cData !== undefined || def?.ts !== undefined;
}

/** A Conv, Gemm or MatMul whose constant weights are ±1 or ±α per filter. */
export function isBinaryLayer(lw: Lowering, n: Node): boolean {
  if (n.domain !== '' || !['Conv', 'Gemm', 'MatMul'].includes(n.op)) return false;
  const w = lw.konst(n.inputs[1]);
  const axis = w ? weightChannelAxis(n, w) : undefined;
  return w !== undefined && axis !== undefined && classifyWeight(w, axis).kind !== 'other';
}

/** The nodes of the float graph that read (directly or not) an output of `n`, with the inputs they read so. */
function after(lw: Lowering, n: Node): { node: Node; slots: number[] }[] {
  const reached = new Set(n.outputs);
  const out: { node: Node; slots: number[] }[] = [];
  for (const m of lw.g.nodes) {
    const slots = m.inputs.flatMap((s, i) => (reached.has(s) ? [i] : []));
    if (!slots.length) continue;
    for (const o of m.outputs) reached.add(o);
    out.push({ node: m, slots });
  }
  return out;
}

/**
 * Refuses a float-tail node the back ends cannot run (BNNC_E160). `from`: the node where the float tail
 * began (the first to read a binary layer's float output), when it is not `n` itself.
 */
export function checkTailOp(lw: Lowering, n: Node, from: { node: string; op: string } | undefined): void {
  if (runsInTail(n)) return;
  const where = lw.where(n);
  const then = 'after a layer\'s sum come only its per-channel ops (batch norm, bias, scaling) and a sign, or a max-pool before the sign; after the last layer\'s, ArgMax, TopK, Softmax, LogSoftmax, Sigmoid and reshapes';
  if (from) {
    const what = isBinaryLayer(lw, n) ? `binary layer '${n.name}' would stay in float` : `${n.op} would run in float`;
    fail('BNNC_E160', `${what}: the binary layers end at '${from.node}' (${from.op}), which reads a layer's output in float; ${then}`, where);
  }
  const k = xnorNetK(lw, n);
  if (k) {
    fail('BNNC_E164', `XNOR-Net's input scaling K: '${n.name}' (Abs) → mean over channels '${k.mean}' → box filter '${k.box}' → '${k.mul}' (${k.op}) scales a binary layer's sum per pixel. bnnc would need per-pixel integer scales of that sum (K quantized per pixel, thresholds compared with acc·K), which it does not have yet; export without K (per-channel α alone, as XNOR-Net++ and Bi-Real Net do) to compile this model`, lw.where(n));
  }
  const later = after(lw, n);
  // a quantizer whose scale this float value computes says so itself (BNNC_E110, quantizer.ts)
  for (const { node, slots } of later) if (slots.some((i) => i > 0)) quantOf(lw.g, node);
  const layers = later.filter(({ node }) => isBinaryLayer(lw, node)).map(({ node }) => node.name);
  const stay = layers.length ? `; the binary layer${layers.length > 1 ? 's' : ''} ${layers.slice(0, 4).map((s) => `'${s}'`).join(', ')}${layers.length > 4 ? ', …' : ''} after it would stay in float` : '';
  fail('BNNC_E160', `${n.op} reads a layer's sum before its sign (in float), which the back ends cannot run${stay}; ${then}`, where);
}

/**
 * XNOR-Net's K: Abs of a layer's sum → mean over the channel axis (ReduceMean, or a 1-output 1×1 Conv of
 * equal weights) → a k×k box filter (Conv or AveragePool) → a Mul with another tensor. The nodes, if `abs`
 * starts one.
 */
function xnorNetK(lw: Lowering, abs: Node): { mean: string; box: string; mul: string; op: string } | undefined {
  if (abs.domain !== '' || abs.op !== 'Abs') return undefined;
  const only = (t: string) => {
    const users = lw.consumers.get(t) ?? [];
    return users.length === 1 ? users[0] : undefined;
  };
  const mean = only(abs.outputs[0]);
  const axes = mean?.attrs.axes as number[] | undefined;
  const overChannels = mean && mean.domain === '' && ((mean.op === 'ReduceMean' && (axes === undefined || axes.includes(1))) || mean.op === 'Conv');
  if (!mean || !overChannels) return undefined;
  const box = only(mean.outputs[0]);
  if (!box || box.domain !== '' || !['Conv', 'AveragePool'].includes(box.op)) return undefined;
  const mul = only(box.outputs[0]);
  if (!mul || mul.domain !== '' || mul.op !== 'Mul') return undefined;
  return { mean: mean.name, box: box.name, mul: mul.name, op: mul.op };
}
