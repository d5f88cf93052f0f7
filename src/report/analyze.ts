// `bnnc report`, the figures: a model on a target from the library's own results (inspect's rows, the
// lowered graph, the C model as the back end builds it, bench's counts, check's report). Two figures the
// library does not expose are recomputed here from its public results: the constants of each C layer (the
// generated arrays <prefix>_c<i>_… belong to the layer function <prefix>_l<i>_…) and the arena bytes live
// while each layer runs (its buffers are the layers' outputs, alive from the layer that writes one to the
// last layer that reads it or a view of it; graph outputs to the end), whose maximum is c-data's lower bound.
import { buildCModel, CTYPE_BYTES, type CModel, type LayerDump } from '../backend/c-data.js';
import { selectKernels, type KernelVariant } from '../backend/kernels.js';
import type { Target } from '../backend/target.js';
import type { BenchReport } from '../bench/bench.js';
import type { CheckReport } from '../check.js';
import { inspectGraph, type InspectReport } from '../inspect.js';
import type { Graph, Node } from '../ir/types.js';

/** How one node of the lowered graph reaches the C: the layer function computing it, or none (a view). */
export interface LoweredNode {
  name: string;
  op: string;
  /** Index into ReportFigures.layers; undefined for a node with no code of its own (a view of its input). */
  layer?: number;
}

export interface ReportLayer {
  index: number;
  fn: string;
  /** The C template chosen (after kernel selection): XnorConvFast, IntConvFast, Threshold, Epilogue, … */
  kernel: string;
  /** Lowered nodes this function computes (several when the back end fused them). */
  nodes: string[];
  /** Float (inspect) nodes behind those lowered nodes. */
  floatNodes: string[];
  consts: { name: string; bytes: number }[];
  constBytes: number;
  /** Arena buffers live while the layer runs (its inputs, its outputs, and values waiting for later layers). */
  live: { tensor: string; bytes: number }[];
  liveBytes: number;
  /** From bench, when it ran. */
  instructions?: number;
  codeBytes?: number;
  binaryMacs?: number;
  intMacs?: number;
}

export interface ReportFigures {
  inspect: InspectReport;
  model: CModel;
  /** Per inspect row (same order): the lowered nodes carrying the float node's name or output. */
  lowering: LoweredNode[][];
  layers: ReportLayer[];
  /** Constant arrays no layer's name claims (expected none). */
  unclaimedConsts: { name: string; bytes: number }[];
  /** The most arena bytes live during one layer (equals c-data's arenaLowerBound). */
  liveMax: number;
  bench?: BenchReport;
  check?: CheckReport;
  /** Disagreements between these recomputations and the C model's own totals (expected none). */
  notes: string[];
}

export interface ReportParts {
  float: Graph;
  lowered: Graph;
  target: Target;
  kernels: KernelVariant;
  prefix?: string;
  bench?: BenchReport;
  check?: CheckReport;
}

export function reportFigures(p: ReportParts): ReportFigures {
  const inspect = inspectGraph(p.float);
  const model = selectKernels(buildCModel(p.lowered, p.target, p.prefix ?? 'bnn_model'), p.target, p.kernels);
  const lnodes = p.lowered.nodes;

  // C layer of each lowered node: the layer whose debug dump lists one of its outputs, else (a bnnc node the
  // back end fused into its only reader, e.g. a conv into its Threshold) its reader's layer
  const dumpLayer = new Map<string, number>();
  model.layers.forEach((l, i) => { for (const d of (l.dumps as LayerDump[] | undefined) ?? []) dumpLayer.set(d.tensor, i); });
  const readers = new Map<string, Node[]>();
  for (const n of lnodes) for (const s of n.inputs) readers.set(s, [...(readers.get(s) ?? []), n]);
  const layerOf = new Map<Node, number | undefined>();
  const find = (n: Node, depth = 0): number | undefined => {
    if (layerOf.has(n)) return layerOf.get(n);
    let at = n.outputs.map((o) => dumpLayer.get(o)).find((v) => v !== undefined);
    if (at === undefined && n.domain === 'bnnc' && depth < lnodes.length) {
      const r = readers.get(n.outputs[0]) ?? [];
      if (r.length === 1) at = find(r[0], depth + 1);
    }
    layerOf.set(n, at);
    return at;
  };
  lnodes.forEach((n) => find(n));

  // float node of each lowered node: the same name, else the float node producing its output (an epilogue)
  const floatByName = new Map(p.float.nodes.map((n, i) => [n.name, i]));
  const floatByOutput = new Map<string, number>();
  p.float.nodes.forEach((n, i) => { for (const o of n.outputs) floatByOutput.set(o, i); });
  const lowering: LoweredNode[][] = inspect.nodes.map(() => []);
  const floatOf = new Map<Node, number>();
  for (const n of lnodes) {
    const fi = floatByName.get(n.name) ?? n.outputs.map((o) => floatByOutput.get(o)).find((v) => v !== undefined);
    if (fi === undefined) continue;
    floatOf.set(n, fi);
    lowering[fi].push({ name: n.name, op: `${n.domain ? `${n.domain}.` : ''}${n.op}`, layer: layerOf.get(n) });
  }

  // constants: layer function <P>_l<i>_… owns the arrays <P>_c<i>_…
  const P = model.prefix;
  const claimed = new Set<string>();
  const layerConsts = model.layers.map((l) => {
    let i = 0;
    while (i <= lnodes.length && !l.fn.startsWith(`${P}_l${i}_`)) i++;
    const own = i <= lnodes.length ? model.consts.filter((c) => c.name.startsWith(`${P}_c${i}_`)) : [];
    for (const c of own) claimed.add(c.name);
    return own.map((c) => ({ name: c.name, bytes: c.count * (CTYPE_BYTES[c.ctype] ?? 4) }));
  });
  const unclaimedConsts = model.consts.filter((c) => !claimed.has(c.name)).map((c) => ({ name: c.name, bytes: c.count * (CTYPE_BYTES[c.ctype] ?? 4) }));

  // arena lifetimes over layer indices; a lowered node with no layer (Reshape, Flatten, …) is a view
  const end = model.layers.length;
  const root = new Map<string, string>();
  const rootOf = (s: string): string => root.get(s) ?? s;
  const bufs = new Map<string, { tensor: string; bytes: number; def: number; last: number }>();
  model.layers.forEach((l, i) => {
    for (const d of (l.dumps as LayerDump[] | undefined) ?? []) bufs.set(d.tensor, { tensor: d.tensor, bytes: d.bytes, def: i, last: i });
  });
  for (const n of lnodes) {
    const at = layerOf.get(n);
    if (at === undefined) {
      if (n.domain !== 'bnnc' && n.inputs.length > 0) for (const o of n.outputs) root.set(o, rootOf(n.inputs[0]));
      continue;
    }
    for (const s of n.inputs) {
      const b = bufs.get(rootOf(s));
      if (b) b.last = Math.max(b.last, at);
    }
  }
  for (const o of p.lowered.outputs) {
    const b = bufs.get(rootOf(o));
    if (b) b.last = end;
  }
  const liveAt = (i: number) => [...bufs.values()].filter((b) => b.def <= i && i <= b.last);

  const benchLayer = new Map((p.bench?.layers ?? []).map((l) => [l.fn, l]));
  const layers = model.layers.map((l, i): ReportLayer => {
    const nodes = lnodes.filter((n) => layerOf.get(n) === i);
    const floats = [...new Set(nodes.map((n) => floatOf.get(n)).filter((v): v is number => v !== undefined))].sort((a, b) => a - b);
    const live = liveAt(i).map((b) => ({ tensor: b.tensor, bytes: b.bytes }));
    const b = p.bench?.ran ? benchLayer.get(l.fn) : undefined;
    return {
      index: i, fn: l.fn, kernel: l.partial, nodes: nodes.map((n) => n.name), floatNodes: floats.map((f) => p.float.nodes[f].name),
      consts: layerConsts[i], constBytes: layerConsts[i].reduce((s, c) => s + c.bytes, 0),
      live, liveBytes: live.reduce((s, c) => s + c.bytes, 0),
      instructions: b?.instructions, codeBytes: b?.codeBytes, binaryMacs: b?.binaryMacs, intMacs: b?.intMacs,
    };
  });
  let liveMax = 0;
  for (let i = 0; i <= end; i++) liveMax = Math.max(liveMax, liveAt(i).reduce((s, b) => s + b.bytes, 0));
  const notes: string[] = [];
  const summed = layers.reduce((s, l) => s + l.constBytes, 0) + unclaimedConsts.reduce((s, c) => s + c.bytes, 0);
  if (summed !== model.constBytes) notes.push(`the constant arrays add up to ${summed} B; the C model states ${model.constBytes} B`);
  if (liveMax !== model.arenaLowerBound) notes.push(`the live arena buffers peak at ${liveMax} B; the C model's lower bound is ${model.arenaLowerBound} B`);
  return { inspect, model, lowering, layers, unclaimedConsts, liveMax, bench: p.bench, check: p.check, notes };
}
