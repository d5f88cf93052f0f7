// The "Against CMSIS-NN int8" section of docs/benchmarks.md (`npm run bench`): int8 networks of the benchmarked
// models' shapes built with CMSIS-NN (src/bench/cmsis-nn.ts) beside bnnc's optimized build of the model, both on
// the emulated Cortex-M4 in the same run. Skipped with a message where ../shared/third_party is absent.
import { loadTarget } from '../../src/backend/target.js';
import type { BenchLayer, BenchReport } from '../../src/bench/bench.js';
import { benchCmsis, hasCmsisSources, type CmsisLayerReport, type CmsisNetSpec, type CmsisReport, type CmsisSources } from '../../src/bench/cmsis-nn.js';
import { sharedFile } from '../helpers/resources.js';

export const CMSIS_SOURCES = { nn: sharedFile('third_party/cmsis-nn'), coreInclude: sharedFile('third_party/cmsis-core/CMSIS/Core/Include') };

const conv = (out: number) => ({ kind: 'conv', out, k: 3, pad: 1, relu: true }) as const;
const pool = { kind: 'maxpool', k: 2 } as const;

/** The int8 networks, each with the same layer shapes (MACs) as a bnnc bench model, keyed by its name. */
export const CMSIS_NETS: { model: string; spec: CmsisNetSpec }[] = [
  {
    model: 'tfc_w1a1.qonnx',
    spec: { name: 'TFC MLP 784-64-64-64-10', input: [1, 1, 784], layers: [{ kind: 'fc', out: 64, relu: true }, { kind: 'fc', out: 64, relu: true }, { kind: 'fc', out: 64, relu: true }, { kind: 'fc', out: 10, relu: false }] },
  },
  {
    // examples/mlp: 784 -> 256 (int8 pixels in bnnc too), 256 -> 256, 256 -> 10
    model: 'example mlp',
    spec: { name: 'example MLP 784-256-256-10', input: [1, 1, 784], layers: [{ kind: 'fc', out: 256, relu: true }, { kind: 'fc', out: 256, relu: true }, { kind: 'fc', out: 10, relu: false }] },
  },
  {
    // examples/cnn: 3×3 convs 1 -> 32, 32 -> 32, 32 -> 64, 64 -> 64 (padding 1; the last three followed by a 2×2 max pool), dense 576 -> 64 -> 10
    model: 'example cnn',
    spec: { name: 'example CNN', input: [28, 28, 1], layers: [conv(32), conv(32), pool, conv(64), pool, conv(64), pool, { kind: 'fc', out: 64, relu: true }, { kind: 'fc', out: 10, relu: false }] },
  },
];

interface Row { bnnc: BenchLayer[]; cmsis: CmsisLayerReport[] }

/**
 * Pairs the layers: each CMSIS-NN conv or dense layer with the next bnnc layer of the same MAC count (so the
 * shapes agree), a pool with the conv before it (bnnc fuses them); bnnc layers without MACs (input threshold,
 * epilogue) stand alone. A CMSIS-NN layer with no bnnc layer of its shape is an error: the specs drifted.
 */
export function pairLayers(b: BenchReport, c: CmsisReport): Row[] {
  const rows: Row[] = [];
  let next = 0;
  for (const l of c.layers) {
    if (l.macs === 0) {
      if (!rows.length || !rows[rows.length - 1].cmsis.length) throw new Error(`${c.name}: ${l.title} follows no layer`);
      rows[rows.length - 1].cmsis.push(l);
      continue;
    }
    const at = b.layers.findIndex((x, i) => i >= next && x.binaryMacs + x.intMacs === l.macs);
    if (at < 0) throw new Error(`${c.name}: no bnnc layer of ${b.graph} has the ${l.macs} MACs of ${l.title}`);
    for (; next < at; next++) rows.push({ bnnc: [b.layers[next]], cmsis: [] });
    rows.push({ bnnc: [b.layers[at]], cmsis: [l] });
    next = at + 1;
  }
  for (; next < b.layers.length; next++) rows.push({ bnnc: [b.layers[next]], cmsis: [] });
  return rows;
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const f2 = (v: number) => v.toFixed(2);
const per = (insn: number, macs: number) => (macs ? f2(insn / macs) : '—');
const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((s, x) => s + f(x), 0);

function layerTable(model: string, b: BenchReport, c: CmsisReport): string[] {
  const out = ['', `### ${c.name}: bnnc (${model}, binary) and CMSIS-NN (int8), per layer`, '',
    '| layer | MACs | bnnc kernel | bnnc instructions | per MAC | CMSIS-NN function | CMSIS-NN instructions | per MAC | CMSIS-NN / bnnc | constants B, bnnc / CMSIS-NN |',
    '|---|---:|---|---:|---:|---|---:|---:|---:|---:|'];
  for (const r of pairLayers(b, c)) {
    const macs = sum(r.bnnc, (l) => l.binaryMacs + l.intMacs);
    const bi = sum(r.bnnc, (l) => l.instructions), ci = sum(r.cmsis, (l) => l.instructions);
    const bc = sum(r.bnnc, (l) => l.weightBytes + l.thresholdBytes + l.otherConstBytes), cc = sum(r.cmsis, (l) => l.constBytes);
    const title = r.cmsis.length ? r.cmsis.map((l) => l.title).join(' + ') : `${r.bnnc.map((l) => l.title.split(':')[0]).join(' + ')}, bnnc only`;
    out.push(`| ${title} | ${macs ? n0(macs) : '—'} | ${r.bnnc.map((l) => l.kernel).join(' + ')} | ${n0(bi)} | ${per(bi, macs)} | ${r.cmsis.length ? r.cmsis.map((l) => l.kernel).join(' + ') : '—'} | ${r.cmsis.length ? n0(ci) : '—'} | ${r.cmsis.length ? per(ci, macs) : '—'} | ${r.cmsis.length ? `${f2(ci / bi)}×` : '—'} | ${n0(bc)} / ${r.cmsis.length ? n0(cc) : '—'} |`);
  }
  const macs = b.total.binaryMacs + b.total.intMacs;
  out.push(`| **whole inference** | ${n0(macs)} | | ${n0(b.total.instructions!)} | ${per(b.total.instructions!, macs)} | | ${n0(c.total.instructions)} | ${per(c.total.instructions, c.total.macs)} | ${f2(c.total.instructions / b.total.instructions!)}× | ${n0(b.flash.weights + b.flash.thresholds + b.flash.otherConst)} / ${n0(c.flash.consts)} |`);
  return out;
}

/** The section's lines: the summary over the networks, then a table per network. */
export function cmsisSection(bnncM4: Map<string, BenchReport>, sources: CmsisSources = CMSIS_SOURCES): string[] {
  const head = ['', '## Against CMSIS-NN int8', ''];
  if (!hasCmsisSources(sources)) return [...head, `Skipped: the CMSIS-NN sources (../shared/third_party/cmsis-nn, cmsis-core) are not here; a clone of bnnc alone has none.`];
  const t = loadTarget('cortex-m4');
  const pairs = CMSIS_NETS.filter((n) => bnncM4.has(n.model)).map((n) => ({ model: n.model, b: bnncM4.get(n.model)!, c: benchCmsis(n.spec, t, sources) }));
  const summary = ['', '| network | MACs | instructions, bnnc / CMSIS-NN | per MAC, bnnc / CMSIS-NN | CMSIS-NN / bnnc | flash B, bnnc / CMSIS-NN | CMSIS-NN / bnnc | peak RAM B, bnnc / CMSIS-NN | CMSIS-NN / bnnc | CMSIS-NN = int8 reference |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|'];
  for (const { b, c } of pairs) {
    const macs = b.total.binaryMacs + b.total.intMacs, bi = b.total.instructions!;
    summary.push(`| ${c.name} | ${n0(macs)} | ${n0(bi)} / ${n0(c.total.instructions)} | ${per(bi, macs)} / ${per(c.total.instructions, c.total.macs)} | ${f2(c.total.instructions / bi)}× | ${n0(b.flash.total)} / ${n0(c.flash.total)} | ${f2(c.flash.total / b.flash.total)}× | ${n0(b.ram.peak!)} / ${n0(c.ram.peak)} | ${f2(c.ram.peak / b.ram.peak!)}× | ${c.exact && c.layers.every((l) => l.distinct >= 5) ? 'yes' : 'NO'} |`);
  }
  const ram = pairs.map(({ c }) => `${c.name}: activations ${n0(c.ram.arena)} + scratch ${n0(c.ram.scratch)} + stack ${n0(c.ram.stack)}; flash ${n0(c.flash.consts)} constants + ${n0(c.flash.code)} code`).join('; ');
  return [...head, CMSIS_TEXT, `CMSIS-NN's RAM and flash: ${ram}.`, ...summary, ...pairs.flatMap(({ model, b, c }) => layerTable(model, b, c))];
}

const CMSIS_TEXT = `What users pick instead of a binarized network: the same layer shapes in int8 with CMSIS-NN (Arm's kernels
for Cortex-M, TFLite's quantization), built from ../shared/third_party/cmsis-nn (ARM-software/CMSIS-NN @ 99f736a)
with bnnc's Cortex-M4 compiler and flags (the target's, without its warning flags), linked with newlib's
\`memcpy\`/\`memset\` that CMSIS-NN calls, and run on the same emulated Cortex-M4 with the same instruction-count
plugin and markers, in this run (src/bench/cmsis-nn.ts, templates/bench/cmsis-net.c.hbs). Weights, biases,
per-channel multipliers and the input are seeded random int8 data (the speed does not depend on the values).
Each layer's output is checked, byte for byte, against a plain C int8 reference in the same image, and the
timed run's output against the reference's ("CMSIS-NN = int8 reference"; it also requires at least 5 distinct
values in every layer's output, so that saturation cannot hide a wrong kernel). Layers: \`arm_convolve_s8\` (what
\`arm_convolve_wrapper_s8\` picks for a 3×3 kernel: im2col of two pixels into int16, then
\`arm_nn_mat_mult_kernel_s8_s16\` with the DSP extension's SMLAD) with ReLU fused, \`arm_max_pool_s8\`, and
\`arm_fully_connected_s8\`. bnnc's figures are its optimized build of the model (the rows above); "MACs" are
bnnc's binary and int8 multiply-accumulates, the same count as the int8 layers'.

What differs beside the arithmetic: CMSIS-NN takes an int8 input the caller has quantized, bnnc thresholds
the uint8 pixels itself (the TFC's first bnnc row, with no CMSIS-NN counterpart); bnnc fuses each conv with
its pool and threshold and keeps 1-bit activations, CMSIS-NN writes the int8 conv output and pools it
in a second pass (both rows are summed); bnnc's last layer ends in float scores (the epilogue row), CMSIS-NN's
in int8. Flash is the model's constants plus the code it runs (for CMSIS-NN: the layer calls, the kernels and
\`memcpy\`/\`memset\`); RAM is the static data plus the painted stack of the timed run, for CMSIS-NN two
ping-pong activation buffers (each the largest output it holds) and \`arm_convolve_s8\`'s im2col scratch.
RAM is given per network only (the layers share the buffers and the stack); per layer, the constants. As a
check of the harness: ../shared/third_party/README.md's figures, measured separately with gcc 12 -O2 on the
same emulated core, are 97,372 instructions for the 784 -> 64 layer and 121,112 for the whole TFC MLP.

Reading the table: on binary layers bnnc runs about 0.2-0.5 instructions per MAC against CMSIS-NN's 1.8-2.9
(two 8-bit MACs per SMLAD, plus the loads and sign extensions of the operands), with 8× smaller weights.
Where bnnc's layer takes int8 pixels it is not binary: the example MLP's first layer costs about what
CMSIS-NN's int8 layer costs and is nearly all of that model's inference; the CNN's first conv about half
(one input channel: CMSIS-NN's im2col copies 9 single bytes per pixel, its rows have only 9 taps). bnnc's flash also holds its thresholds, CMSIS-NN's
its biases and multipliers.
`;
