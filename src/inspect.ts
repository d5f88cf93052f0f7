// `bnnc inspect`: the nodes of the loaded (folded) graph in order, with output shape, parameter count and
// which weights and activations are binary. The first thing a user runs on a new model.
import { shapeText, sizeOf } from './ir/tensor.js';
import type { Graph } from './ir/types.js';
import { binaryActivationForm, classifyWeight, weightChannelAxis } from './analyze/binary.js';

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
}

export interface InspectReport {
  graph: string;
  opset: number;
  inputs: { name: string; dtype: string; shape: number[] }[];
  outputs: { name: string; dtype: string; shape: number[] }[];
  nodes: InspectRow[];
  totalParams: number;
  binaryLayers: number;
}

export function inspectGraph(g: Graph): InspectReport {
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
  };
}

export function formatInspect(r: InspectReport): string {
  const head = ['#', 'node', 'op', 'output', 'params', 'binary'];
  const rows = r.nodes.map((n) => [
    String(n.index), n.name, n.domain ? `${n.domain}.${n.op}` : n.op, `${n.outputType}${shapeText(n.outputShape)}`, String(n.params),
    [n.binaryWeights === 'bipolar' ? 'weights ±1' : n.binaryWeights === 'scaled-bipolar' ? 'weights ±α' : '',
      n.binaryActivation ? `activation ±1 (${n.binaryActivation})` : ''].filter(Boolean).join(', '),
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
  ].join('\n') + '\n';
}
