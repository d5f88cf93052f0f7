// The C model: from a lowered graph to the typed records the templates lay out. The graph first goes through
// C_PIPELINE (passes/index.ts: the conv + pool + threshold fusion); then each op's `cData` hook (its op file)
// computes its layer's strides, word counts, loop bounds and constant arrays (numbers, rendered only by the
// templates' helpers); this file names functions and arrays, plans the arena and wires the buffers.
// Arena: one buffer, every non-alias value at an offset, first fit over lifetimes [def, last use] (the best of
// three placement orders). Its base is a parameter of the run (`arena`, ARENA): the one-call form passes its
// static buffer, the reentrant form the caller's (docs/generated-code.md).
import { fail } from '../errors.js';
import { sizeOf } from '../ir/tensor.js';
import type { DType, Graph, Node, Tensor, TensorType } from '../ir/types.js';
import { constArray, CTYPE_BYTES, cText, type CDataContext, type ConstArray } from '../ops/c-layer.js';
import { lookupOp } from '../ops/index.js';
import { resolveWindow } from '../ops/sliding-window.js';
import { C_PIPELINE, runPipeline } from '../passes/index.js';
import type { Target } from './target.js';

export { CTYPE_BYTES, cText, type ConstArray } from '../ops/c-layer.js';

/** Ops that only relabel the shape of row-major data: their output shares the input's buffer. */
const ALIAS_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

const CTYPE: Partial<Record<DType, string>> = {
  uint8: 'uint8_t', int8: 'int8_t', int16: 'int16_t', int32: 'int32_t', float32: 'float', int64: 'int64_t',
};
const BYTES: Partial<Record<DType, number>> = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, int64: 8 };

/**
 * One layer of the generated C: its template (`partial`), function, call and comment, the name prefix of its
 * constant arrays (`cn`), those arrays by role (`arrays`: numbers, for the kernel generators), its input's C
 * element type (`xt`), and the typed record its op's `cData` hook made (ops/c-layer.ts).
 */
export interface Layer { partial: string; fn: string; comment: string; call: string; cn: string; xt: string; arrays: Record<string, ConstArray>; [k: string]: unknown }
/** One output of a layer as a debug build writes it: the lowered node and tensor, its C buffer and size. */
export interface LayerDump { node: string; tensor: string; ptr: string; bytes: number }
export interface IoInfo { name: string; /** the name as C comments may show it */ label: string; cname: string; ctype: string; shape: string; count: number; bytes: number; macro: string }
export interface CModel {
  prefix: string;
  PREFIX: string;
  graphName: string;
  input: IoInfo;
  outputs: IoInfo[];
  outParams: string;
  arenaBytes: number;
  /** Some buffer lives in the arena (not so when every layer's output aliases the input). */
  usesArena: boolean;
  /** The most bytes of arena values (packed activations, sums, outputs) live at once: no arena is smaller. */
  arenaLowerBound: number;
  arenaWords: number;
  consts: ConstArray[];
  layers: Layer[];
  copies: { dst: string; src: string; count: number }[];
  constBytes: number;
  macs: number;
  popcountPartial: string;
  target: Target;
}

function cIdent(s: string): string {
  const id = s.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

/** The C name of the arena's base (a `uint8_t *` parameter of the function that runs the layers). */
export const ARENA = 'arena';

interface Buf { name: string; bytes: number; def: number; last: number; offset: number }

export function buildCModel(g: Graph, target: Target, prefix: string): CModel {
  const P = cIdent(prefix);
  if (g.inputs.length !== 1) fail('BNNC_E031', `the C back ends take one input; the graph has ${g.inputs.length}`);
  const typeOf = (s: string): TensorType => {
    const t = g.types.get(s);
    if (!t) fail('BNNC_E008', 'no static type for this value', { tensor: s });
    return t;
  };
  const ctypeOf = (s: string, where: Node | undefined): string => {
    const c = CTYPE[typeOf(s).dtype];
    if (!c) fail('BNNC_E010', `${typeOf(s).dtype} values are not supported by the C back ends yet`, { node: where?.name, op: where?.op, tensor: s });
    return c;
  };
  const input = g.inputs[0];
  // the bnnc → bnnc rewrites before C (conv + pool + threshold fusion), so every caller emits the same C
  const fused = runPipeline(g, C_PIPELINE);
  const nodes = fused.nodes;

  // aliases and lifetimes
  const root = new Map<string, string>([[input.name, input.name]]);
  const bufs = new Map<string, Buf>();
  /** Values holding packed bits (their op declares `packedBits`): uint32_t words in C (the IR types them int32). */
  const packed = new Set(nodes.filter((n) => lookupOp(n.domain, n.op)?.packedBits === true).flatMap((n) => n.outputs));
  nodes.forEach((n, i) => {
    if (ALIAS_OPS.has(n.op) && n.domain === '') {
      root.set(n.outputs[0], root.get(n.inputs[0]) ?? n.inputs[0]);
      return;
    }
    for (const o of n.outputs) {
      if (o === '') continue;
      root.set(o, o);
      const t = typeOf(o);
      bufs.set(o, { name: o, bytes: sizeOf(t.shape) * (BYTES[t.dtype] ?? 8), def: i, last: i, offset: 0 });
    }
    for (const s of n.inputs) {
      const b = bufs.get(root.get(s) ?? '');
      if (b) b.last = i;
    }
  });
  for (const o of g.outputs) {
    const b = bufs.get(root.get(o) ?? '');
    if (b) b.last = nodes.length;
  }
  // First fit (8-byte aligned) over a few orders of the buffers: creation, largest first, longest-lived first;
  // the smallest arena wins (the first order on ties, so the layout is stable)
  const place = (order: Buf[]): { size: number; offsets: Map<Buf, number> } => {
    const placed: { b: Buf; off: number }[] = [];
    let size = 0;
    for (const b of order) {
      const live = placed.filter((p) => p.b.def <= b.last && b.def <= p.b.last).sort((x, y) => x.off - y.off);
      let off = 0;
      for (const p of live) {
        if (off + b.bytes <= p.off) break;
        off = Math.max(off, (p.off + p.b.bytes + 7) & ~7);
      }
      placed.push({ b, off });
      size = Math.max(size, (off + b.bytes + 7) & ~7);
    }
    return { size, offsets: new Map(placed.map((p) => [p.b, p.off])) };
  };
  const all = [...bufs.values()];
  const orders = [all, [...all].sort((x, y) => y.bytes - x.bytes || x.def - y.def),
    [...all].sort((x, y) => (y.last - y.def) - (x.last - x.def) || y.bytes - x.bytes || x.def - y.def)];
  const best = orders.map(place).reduce((a, b) => (b.size < a.size ? b : a));
  for (const [b, off] of best.offsets) b.offset = off;
  const arenaBytes = Math.max(best.size, 8);
  let arenaLowerBound = 0;
  for (let i = 0; i <= nodes.length; i++) {
    let live = 0;
    for (const b of bufs.values()) if (b.def <= i && i <= b.last) live += b.bytes;
    arenaLowerBound = Math.max(arenaLowerBound, live);
  }

  let usesArena = false;
  const ptr = (s: string, n: Node | undefined): string => {
    const r = root.get(s);
    if (r === input.name) return 'input';
    usesArena = true;
    const b = bufs.get(r ?? '');
    if (!b) fail('BNNC_E031', 'value is not computed by a supported op', { tensor: s, node: n?.name });
    const ct = packed.has(b.name) ? 'uint32_t' : ctypeOf(b.name, n);
    return `(${ct} *)(void *)(${ARENA} + ${b.offset})`;
  };
  const io = (s: string, cname: string, macro: string): IoInfo => {
    const t = typeOf(s);
    return { name: s, label: cText(s), cname, ctype: ctypeOf(s, undefined), shape: `{${t.shape.join(', ')}}`, count: sizeOf(t.shape), bytes: sizeOf(t.shape) * (BYTES[t.dtype] ?? 8), macro };
  };
  const inputInfo = io(input.name, 'input', 'INPUT');
  const outputs = g.outputs.map((o, i) => io(o, g.outputs.length === 1 ? 'output' : `output${i}`, g.outputs.length === 1 ? 'OUTPUT' : `OUTPUT${i}`));

  const consts: ConstArray[] = [];
  let constBytes = 0, macs = 0;
  const init = (s: string, n: Node): Tensor => {
    const t = g.initializers.get(s);
    if (!t) fail('BNNC_E031', 'this input must be a constant for the C back ends', { node: n.name, op: n.op, tensor: s });
    return t;
  };
  const layers: Layer[] = [];
  nodes.forEach((n, i) => {
    if (ALIAS_OPS.has(n.op) && n.domain === '') return;
    const def = lookupOp(n.domain, n.op);
    if (!def?.cData) fail('BNNC_E031', `${n.op} is not supported by the C back ends yet${n.domain === '' && /^(Log)?Softmax$/.test(n.op) ? ` (libm exp/log are not bit-exact: the portable-math pass turns it into bnnc.${n.op}32)` : ''}`, { node: n.name, op: n.op });
    const fn = `${P}_l${i}_${cIdent(n.name || n.op)}`.slice(0, 60);
    const cn = `${P}_c${i}`;
    const x = n.inputs[0], y = n.outputs[0];
    const xs = typeOf(x).shape;
    const vt = (s: string) => `${typeOf(s).dtype}[${typeOf(s).shape.join(',')}]`;
    const head = `${cText(n.name)}${n.attrs.pool_node ? ` + ${cText(String(n.attrs.pool_node))}` : ''}${n.attrs.threshold_node ? ` + ${cText(String(n.attrs.threshold_node))}` : ''} (${n.domain ? `${n.domain}.` : ''}${n.op}): ${n.inputs.filter((s) => !g.initializers.has(s)).map(vt).join(', ')} -> ${n.outputs.filter((s) => s).map(vt).join(', ')}`;
    if (n.domain === 'bnnc' && xs[0] !== 1) fail('BNNC_E031', `batch ${xs[0]}: the C back ends take batch 1`, { node: n.name, op: n.op });
    /** This layer's constant arrays by role, each named <prefix>_c<index>_<role>. */
    const arrays: Record<string, ConstArray> = {};
    const c: CDataContext = {
      node: n, opset: g.opset, fn, head,
      type: typeOf,
      ctype: (s) => ctypeOf(s, n),
      init: (s) => init(s, n),
      ptr: (s) => ptr(s, n),
      array(role, ctype, values, perLine) {
        const a = constArray(`${cn}_${role}`, ctype, values, perLine);
        consts.push(a);
        arrays[role] = a;
        constBytes += a.count * CTYPE_BYTES[ctype];
        return a.name;
      },
      window: (inSize, kernel, ceil = false, attrs = n.attrs) =>
        resolveWindow({ node: n, attrs: { ...attrs, auto_pad: 'NOTSET' }, opset: g.opset }, inSize, kernel, ceil),
      macs: (k) => { macs += k; },
    };
    const base = { fn, cn, arrays, xt: ctypeOf(x, n), call: `${fn}(${ptr(x, n)}, ${ptr(y, n)});` };
    const layer: Layer = { ...base, ...def.cData(c) };
    // what a debug build (-DBNNC_DEBUG_LAYERS) hands out after this layer: each output's buffer, named by the
    // lowered node that computes it (a fused conv's output is its Threshold's)
    layer.index = layers.length;
    layer.dumps = n.outputs.filter((o) => o !== '').map((o): LayerDump => ({
      node: String(n.attrs.threshold_node ?? n.name), tensor: o, ptr: ptr(o, n), bytes: sizeOf(typeOf(o).shape) * (BYTES[typeOf(o).dtype] ?? 8),
    }));
    layers.push(layer);
  });

  const copies = outputs.map((o) => ({ dst: o.cname, src: ptr(o.name, undefined), count: o.count }));
  return {
    prefix: P, PREFIX: P.toUpperCase(), graphName: cText(g.name), input: inputInfo, outputs,
    outParams: outputs.map((o) => `${o.ctype} *${o.cname}`).join(', '),
    arenaBytes, usesArena, arenaLowerBound, arenaWords: arenaBytes / 8, consts, layers, copies, constBytes, macs,
    popcountPartial: target.features.popcountInstruction ? 'popcount-builtin' : 'popcount-swar',
    target,
  };
}
