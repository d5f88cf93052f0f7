// `bnnc report`, the page: the figures of analyze.ts as display strings and chart geometry, rendered by
// templates/report/report.html.hbs with Handlebars escaping ON (names from the model are untrusted) and
// `strict` (a missing field throws). The page is self-contained: inline CSS and SVG, no script, no URL,
// and a Content-Security-Policy that forbids fetching anything. Its second line marks it as bnnc's, with
// the SHA-256 of the rest, so a later run knows it may replace it (write.ts).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { TEMPLATES_DIR } from '../backend/emit.js';
import type { Target } from '../backend/target.js';
import { shapeText } from '../ir/tensor.js';
import { barChart, int, type Chart } from './chart.js';
import type { ReportFigures } from './analyze.js';

export interface PageInfo {
  /** The model file as the user named it (shown, not opened). */
  model: string;
  version: string;
  target: Target;
  kernels: string;
  /** Why instructions are missing (no emulator, --no-bench, a tool that failed). */
  benchNote?: string;
  /** Where check's samples came from (the data file, or "N random inputs, seed S"). */
  checkSource?: string;
  /** The worst stack chain of the run functions (the generated header's `<PREFIX>_STACK_BYTES`), when measured. */
  stackBytes?: number;
}

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(100 * x).toFixed(2)} %`);

function pageData(f: ReportFigures, info: PageInfo) {
  const ins = f.inspect;
  const L = f.layers;
  const fnOf = (i: number | undefined) => (i === undefined ? undefined : L[i]);
  const bitsOf = new Map((f.check?.layers ?? []).map((l) => [l.node, l]));
  const nodes = ins.nodes.map((n, i) => {
    const low = f.lowering[i];
    const bits = bitsOf.get(n.name);
    return {
      index: n.index, name: n.name, op: n.domain ? `${n.domain}.${n.op}` : n.op, shape: `${n.outputType}${shapeText(n.outputShape)}`,
      params: int(n.params),
      weights: n.binaryWeights === 'bipolar' ? '±1' : n.binaryWeights === 'scaled-bipolar' ? '±α' : '',
      activation: n.binaryActivation ? `±1 (${n.binaryActivation})` : '',
      binary: n.binaryWeights !== undefined || n.binaryActivation !== undefined,
      lowered: low.map((l) => ({ op: l.op, fn: fnOf(l.layer)?.fn ?? null, kernel: fnOf(l.layer)?.kernel ?? null, layer: l.layer ?? null })),
      absorbed: low.length === 0,
      bits: bits ? pct(bits.bits ? bits.identical / bits.bits : 1) : null,
    };
  });
  const label = (l: (typeof L)[number]) => Array.from(`${l.index} ${l.kernel} ${l.floatNodes[0] ?? l.nodes[0] ?? ''}`).slice(0, 44).join('');
  const ran = f.bench?.ran === true;
  const charts: Chart[] = [
    barChart('flash', 'Flash per layer', ran
      ? 'Constant arrays of each layer function (weights, thresholds, tables), and its code in the bench build (layers kept out of line).'
      : 'Constant arrays of each layer function (weights, thresholds, tables). Code sizes need bench (see the note on instructions).',
    'B', ran ? [{ cls: 's0', name: 'constants' }, { cls: 's1', name: 'code' }] : [{ cls: 's0', name: 'constants' }],
    L.map((l) => ({
      label: label(l), values: ran ? [l.constBytes, l.codeBytes ?? 0] : [l.constBytes],
      title: `${l.fn}: ${l.consts.map((c) => `${c.name} ${int(c.bytes)} B`).join(', ') || 'no constants'}${ran ? `; code ${l.codeBytes === undefined ? 'inlined' : `${int(l.codeBytes)} B`}` : ''}`,
    }))),
    barChart('ram', 'RAM (arena) per layer', `Arena bytes live while each layer runs: its input and output buffers and the values kept for later layers. The arena is ${int(f.model.arenaBytes)} B; no arena is smaller than the peak, ${int(f.liveMax)} B.`,
      'B', [{ cls: 's2', name: 'live arena buffers' }],
      L.map((l) => ({ label: label(l), values: [l.liveBytes], title: `${l.fn}: ${l.live.map((b) => `${b.tensor} ${int(b.bytes)} B`).join(', ') || 'no arena buffer'}` }))),
  ];
  if (ran) {
    charts.push(barChart('instructions', 'Instructions per layer', `Executed instructions of each layer function on ${f.bench!.target} (${f.bench!.core}), counted exactly under the emulator by bnnc bench (${f.bench!.kernels} kernels), one inference of a seeded input.`,
      'instr', [{ cls: 's3', name: 'instructions' }],
      L.map((l) => ({ label: label(l), values: [l.instructions ?? 0], title: `${l.fn}: ${int(l.instructions ?? 0)} instructions${l.binaryMacs ? `, ${int(l.binaryMacs)} binary MACs` : ''}${l.intMacs ? `, ${int(l.intMacs)} integer MACs` : ''}` }))));
  }
  const b = f.bench;
  const summary = [
    { k: 'nodes', v: `${ins.nodes.length} (${ins.binaryLayers} with binary weights)` },
    { k: 'parameters', v: int(ins.totalParams) },
    { k: 'C layer functions', v: String(L.length) },
    { k: 'constants (flash)', v: `${int(f.model.constBytes)} B` },
    { k: 'arena (RAM)', v: `${int(f.model.arenaBytes)} B (live peak ${int(f.liveMax)} B)` },
    ...(info.stackBytes !== undefined ? [{ k: 'stack, worst chain (the header\'s STACK_BYTES)', v: `${int(info.stackBytes)} B` }] : []),
    ...(b?.ran ? [
      { k: 'flash, model object', v: `${int(b.flash.total)} B (code ${int(b.flash.code)} B)` },
      { k: 'stack (painted)', v: `${int(b.ram.stack ?? 0)} B` },
      { k: 'instructions per inference', v: int(b.total.instructions ?? 0) },
      { k: 'outputs vs reference interpreter', v: b.exact ? 'bit-exact' : 'DIFFER' },
    ] : []),
  ];
  const c = f.check;
  return {
    title: `${ins.graph} on ${info.target.name}`,
    model: info.model, graph: ins.graph, opset: ins.opset, version: info.version, kernels: info.kernels,
    target: { name: info.target.name, core: info.target.core, description: info.target.description },
    inputs: ins.inputs.map((v) => ({ name: v.name, type: `${v.dtype}${shapeText(v.shape)}` })),
    outputs: ins.outputs.map((v) => ({ name: v.name, type: `${v.dtype}${shapeText(v.shape)}` })),
    summary, nodes, charts,
    layers: L.map((l) => ({
      index: l.index, fn: l.fn, kernel: l.kernel, nodes: l.nodes.join(', '), consts: int(l.constBytes), live: int(l.liveBytes),
      instructions: l.instructions === undefined ? '—' : int(l.instructions),
    })),
    benchNote: ran ? null : info.benchNote ?? 'instructions were not counted',
    benchNotes: b?.notes ?? [],
    notes: [...f.notes, ...f.unclaimedConsts.map((u) => `constant array ${u.name} (${int(u.bytes)} B) belongs to no layer function`)],
    check: c ? {
      source: info.checkSource ?? '', samples: int(c.samples), agreement: pct(c.agreement),
      floatAccuracy: pct(c.float_accuracy), loweredAccuracy: pct(c.lowered_accuracy),
      layers: c.layers.map((l) => ({ node: l.node, bits: int(l.bits), identical: pct(l.bits ? l.identical / l.bits : 1), zeros: int(l.zeros) })),
      disagreements: c.disagreements.slice(0, 50).map((d) => ({
        sample: d.sample, label: d.label === undefined ? '—' : String(d.label), float: d.floatClass, lowered: d.loweredClass, cause: d.cause,
      })),
      more: c.disagreements.length > 50 ? c.disagreements.length - 50 : 0,
    } : null,
  };
}

let compiled: HandlebarsTemplateDelegate | undefined;

/** The HTML page: doctype, the bnnc mark with the SHA-256 of the rest, then the rendered template. */
export function renderReport(f: ReportFigures, info: PageInfo): string {
  compiled ??= Handlebars.create().compile(readFileSync(`${TEMPLATES_DIR}report/report.html.hbs`, 'utf8'), { strict: true });
  const body = compiled(pageData(f, info));
  return `<!DOCTYPE html>\n<!-- bnnc report sha256=${createHash('sha256').update(body, 'utf8').digest('hex')} -->\n${body}`;
}
