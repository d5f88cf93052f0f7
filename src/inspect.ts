// `bnnc inspect`: the nodes of the loaded (folded) graph in order, with output shape, parameter count and
// which weights and activations are binary, and whether the lowering (compile.ts's, which compile and check
// run; the caller passes it in) takes the model: if not, the node it refuses is marked with the error's code
// and reason. The first thing a user runs on a new model.
import { CompileError, type DiagnosticCode } from './errors.js';
import { shapeText, sizeOf } from './ir/tensor.js';
import type { Graph, InputQuant } from './ir/types.js';
import { binaryActivationForm, classifyWeight, weightChannelAxis } from './analyze/binary.js';
import { modelInputQuant } from './lower/input.js';

export interface InspectRow {
  index: number;
  name: string;
  op: string;
  domain: string;
  inputs: string[];
  outputShape: number[];
  outputType: string;
  params: number;
  binaryWeights?: 'bipolar' | 'scaled-bipolar';
  binaryActivation?: string;
  /** The first node the lowering cannot take: the error's code and reason. */
  refused?: { code: DiagnosticCode; detail: string };
}

/** The lowering's verdict: every node taken, or the error (with the node it names, if any). */
export type LoweringVerdict =
  | { ok: true; inputQuant: 'declared' | 'model' | 'integer input' | 'assumed 1/255' }
  | { ok: false; code: DiagnosticCode; detail: string; node?: string; message: string };

export interface InspectReport {
  graph: string;
  opset: number;
  inputs: { name: string; dtype: string; shape: number[] }[];
  outputs: { name: string; dtype: string; shape: number[] }[];
  nodes: InspectRow[];
  totalParams: number;
  binaryLayers: number;
  /** Whether the lowering takes the model (absent when not asked). */
  lowering?: LoweringVerdict;
}

/** A stand-in input quantization for a float input without one: which node fails hardly depends on it. */
const ASSUMED: InputQuant = { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 };

/**
 * The verdict of `lower` (compile.ts's lowerModel, which the caller passes: inspect sits below the driver)
 * on `g`, given the declared input quantization or a stand-in; a CompileError becomes the verdict.
 */
export function loweringVerdict(g: Graph, lower: (inputQuant: InputQuant | undefined) => unknown, declared?: InputQuant): LoweringVerdict {
  const integer = g.inputs.length === 1 && (g.inputs[0].type.dtype === 'uint8' || g.inputs[0].type.dtype === 'int8');
  const source = declared ? 'declared' : integer ? 'integer input' : modelInputQuant(g) ? 'model' : 'assumed 1/255';
  try {
    lower(declared ?? (source === 'assumed 1/255' ? ASSUMED : undefined));
    return { ok: true, inputQuant: source };
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    return { ok: false, code: e.code, detail: e.detail, node: e.where.node, message: e.message };
  }
}

/** The report of `g`; with the lowering's verdict (loweringVerdict), the node it refuses is marked. */
export function inspectGraph(g: Graph, verdict?: LoweringVerdict): InspectReport {
  const nodes = g.nodes.map((n, index): InspectRow => {
    const out = g.types.get(n.outputs[0])!;
    let params = 0;
    let binaryWeights: InspectRow['binaryWeights'];
    n.inputs.forEach((s, i) => {
      const t = g.initializers.get(s);
      if (!t) return;
      params += sizeOf(t.shape);
      const axis = i === 1 ? weightChannelAxis(n, t) : undefined;
      if (axis !== undefined) {
        const k = classifyWeight(t, axis).kind;
        if (k !== 'other') binaryWeights = k;
      }
    });
    return {
      index, name: n.name, op: n.op, domain: n.domain, inputs: [...n.inputs], outputShape: [...out.shape], outputType: out.dtype,
      params, binaryWeights, binaryActivation: binaryActivationForm(g, n),
      ...(verdict && !verdict.ok && verdict.node === n.name ? { refused: { code: verdict.code, detail: verdict.detail } } : {}),
    };
  });
  const vi = (name: string) => ({ name, dtype: g.types.get(name)!.dtype, shape: [...g.types.get(name)!.shape] });
  return {
    graph: g.name,
    opset: g.opset,
    inputs: g.inputs.map((i) => vi(i.name)),
    outputs: g.outputs.map(vi),
    nodes,
    totalParams: nodes.reduce((a, r) => a + r.params, 0),
    binaryLayers: nodes.filter((r) => r.binaryWeights).length,
    ...(verdict ? { lowering: verdict } : {}),
  };
}

export function formatInspect(r: InspectReport): string {
  const head = ['#', 'node', 'op', 'output', 'params', 'binary'];
  const rows = r.nodes.map((n) => [
    String(n.index), n.name, n.domain ? `${n.domain}.${n.op}` : n.op, `${n.outputType}${shapeText(n.outputShape)}`, String(n.params),
    [n.binaryWeights === 'bipolar' ? 'weights ±1' : n.binaryWeights === 'scaled-bipolar' ? 'weights ±α' : '',
      n.binaryActivation ? `activation ${/0\/1|two-level/.test(n.binaryActivation) ? 'two-level' : '±1'} (${n.binaryActivation})` : '', n.refused ? `<- ${n.refused.code}` : ''].filter(Boolean).join(', '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [
    `graph ${r.graph} (opset ${r.opset})`,
    ...r.inputs.map((i) => `input  ${i.name}: ${i.dtype}${shapeText(i.shape)}`),
    ...r.outputs.map((o) => `output ${o.name}: ${o.dtype}${shapeText(o.shape)}`),
    '',
    line(head),
    ...rows.map(line),
    '',
    `${r.nodes.length} nodes, ${r.totalParams} parameters, ${r.binaryLayers} layers with binary weights`,
    ...(!r.lowering ? [] : r.lowering.ok
      ? [`lowering: every node taken${r.lowering.inputQuant === 'assumed 1/255' ? ' (input scale assumed 1/255; give --input-scale)' : ''}`]
      : [`lowering refused: ${r.lowering.message}`]),
  ].join('\n') + '\n';
}
