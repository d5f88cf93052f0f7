// Regenerates docs/benchmarks.md: `bench` on every emulated core of the table, for the real models (and the
// example models when present), optimized and reference kernels in the same run. Run with
//   BNNC_BENCH_DOCS=1 npx vitest run test/bench/bench-docs.test.ts
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadModel, lowerModel } from '../../src/compile.js';
import { loadTarget, type Target } from '../../src/backend/target.js';
import { bench, type BenchReport } from '../../src/bench/bench.js';
import { formatBench } from '../../src/bench/format.js';
import { withZbb } from '../../src/bench/variants.js';
import type { Graph } from '../../src/ir/types.js';
import { lowerReal, MODELS } from '../backend/helpers.js';
import { cmsisSection } from './cmsis-doc.js';
import { ROOT } from '../helpers/resources.js';

export const TARGETS: (() => Target)[] = [
  () => loadTarget('cortex-m0plus'), () => loadTarget('cortex-m4'), () => loadTarget('cortex-m7'), () => loadTarget('cortex-m55'),
  () => loadTarget('esp32c3'), () => withZbb(loadTarget('esp32c3')), () => loadTarget('esp32'),
];

const PIXEL = { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 } as const;

export function models(): { name: string; graph: Graph }[] {
  const out = MODELS.map((m) => ({ name: m.file.split('/').pop()!.replace(/\.onnx$/, ''), graph: lowerReal(m) }));
  for (const ex of ['mlp', 'cnn']) {
    const f = `${ROOT}examples/${ex}/${ex}.onnx`;
    if (existsSync(f)) out.push({ name: `example ${ex}`, graph: lowerModel(loadModel(f), { inputQuant: PIXEL }) });
  }
  return out;
}

const f2 = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(2));
const n0 = (v: number | undefined) => (v === undefined ? '—' : Math.round(v).toLocaleString('en-US'));

export function benchDoc(): string {
  const rows: string[] = [];
  const details: string[] = [];
  const got = new Map<string, [number, number]>();
  const m4 = new Map<string, BenchReport>(); // bnnc's optimized Cortex-M4 reports, for the CMSIS-NN section
  const ram: string[] = ['', '| model | target | peak RAM B, optimized | arena B | stack B | lower bound B | peak above the bound |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const m of models()) {
    rows.push('', `### ${m.name}`, '', '| target | instr/32 binary MACs, optimized | reference | ratio | inference instructions, optimized / reference | cycles (estimate), optimized / reference | flash B, optimized / reference | peak RAM B | exact |', '|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const mk of TARGETS) {
      const t = mk();
      const o: BenchReport = bench(m.graph, t, { kernels: 'optimized' });
      const r: BenchReport = bench(m.graph, t, { kernels: 'reference' });
      got.set(`${m.name}@${t.name}`, [o.total.instructionsPer32BinaryMacs!, r.total.instructionsPer32BinaryMacs!]);
      rows.push(`| ${t.name} | ${f2(o.total.instructionsPer32BinaryMacs)} | ${f2(r.total.instructionsPer32BinaryMacs)} | ${f2(r.total.binaryLayerInstructions! / o.total.binaryLayerInstructions!)}× | ${n0(o.total.instructions)} / ${n0(r.total.instructions)} | ${n0(o.total.cyclesEstimate)} / ${n0(r.total.cyclesEstimate)} | ${n0(o.flash.total)} / ${n0(r.flash.total)} | ${n0(o.ram.peak)} | ${o.exact && r.exact ? 'yes' : 'NO'} |`);
      if (m.name.startsWith('example ')) {
        const lb = o.ram.arenaLowerBound ?? 0;
        ram.push(`| ${m.name} | ${t.name} | ${n0(o.ram.peak)} | ${n0(o.ram.arena)} | ${n0(o.ram.stack)} | ${n0(lb)} | +${n0((o.ram.peak ?? 0) - lb)} (${f2((o.ram.peak ?? 0) / Math.max(lb, 1))}×) |`);
      }
      if (t.name === 'cortex-m4') m4.set(m.name, o);
      if (t.name === 'cortex-m4') details.push('', `#### ${m.name} on cortex-m4, optimized`, '', formatBench(o).split('\n').slice(2).join('\n'));
    }
  }
  const goals: string[] = ['', '| goal (instr/32 binary MACs, binary layers) | model | target | measured, optimized | reference | gap |', '|---|---|---|---:|---:|---:|'];
  const cnn = models().find((m) => m.name === 'example cnn')?.name ?? 'mnist_cnn_bnn.fastinference';
  const mlp = models().find((m) => m.name === 'example mlp')?.name ?? 'tfc_w1a1.qonnx';
  for (const [goal, model, target, limit] of [['CNN on Cortex-M4 ≤ 8', cnn, 'cortex-m4', 8], ['MLP on Cortex-M4 ≤ 10', mlp, 'cortex-m4', 10],
    ['CNN on Cortex-M0+ ≤ 13', cnn, 'cortex-m0plus', 13], ['MLP on Cortex-M0+ ≤ 13', mlp, 'cortex-m0plus', 13],
    ['CNN on rv32imc + Zbb ≤ 5', cnn, 'esp32c3-zbb', 5], ['MLP on rv32imc + Zbb ≤ 5', mlp, 'esp32c3-zbb', 5],
    ['CNN on ESP32 (Xtensa, lx106 stand-in) ≤ 9', cnn, 'esp32', 9], ['MLP on ESP32 (Xtensa, lx106 stand-in) ≤ 9', mlp, 'esp32', 9]] as const) {
    const v = got.get(`${model}@${target}`);
    if (v) goals.push(`| ${goal} | ${model} | ${target} | ${f2(v[0])} | ${f2(v[1])} | ${v[0] <= limit ? 'met' : `+${f2(v[0] - limit)} (${f2(v[0] / limit)}×)`} |`);
  }
  return [HEAD, ...rows, '', '## Per layer on the emulated Cortex-M4', ...details, '', TAIL, ...goals, '', RAM, ...ram, ...cmsisSection(m4)].join('\n') + '\n';
}

/** The tool-speed section that `npm run bench:tools` (scripts/bench-tools.mjs) writes between these markers. */
const TOOLS_SECTION = /<!-- tools:begin[^>]*-->[\s\S]*?<!-- tools:end -->/;

export function writeBenchDoc(): string {
  const path = `${ROOT}docs/benchmarks.md`;
  const tools = existsSync(path) ? TOOLS_SECTION.exec(readFileSync(path, 'utf8'))?.[0] : undefined;
  const text = tools ? `${benchDoc()}\n${tools}\n` : benchDoc();
  writeFileSync(path, text);
  return text;
}

const HEAD = `# Benchmarks

Generated by \`BNNC_BENCH_DOCS=1 npx vitest run test/bench/bench-docs.test.ts\` (test/bench/run-bench.ts): \`bench()\`
(src/bench/bench.ts) on each emulated core, optimized and reference kernels of the same lowered graph in the
same run, on one seeded input whose outputs are checked against the reference interpreter ("exact").
Method: docs/benchmarks-method.md. **Instructions are exact** (QEMU TCG plugin); **cycles are an estimate**
from a per-core cost table (none for the dual-issue Cortex-M7 and M55, nor Xtensa); flash is the model object's text +
data of the default build; peak RAM is the model's static data (arena) plus the stack measured by painting.

"instr/32 binary MACs" is over the binary layers only (XnorConv, fused or not): executed instructions per
32 binary multiply-accumulates (one output × one 32-bit input word). The first layer of the CNN is an int8
convolution and is not a binary layer. esp32c3-zbb is esp32c3 built with \`-march=rv32imc_zbb\` (\`cpop\`) and
run on QEMU's rv32 with zbb=true (\`withZbb\`, src/bench/variants.ts): the ESP32-C3 itself has no Zbb. esp32 is
built with xtensa-lx106-elf-gcc and run on QEMU's lx106 core, a stand-in for the ESP32's LX6 without its loop
instruction, register windows and FPU (docs/targets.md): its float layers are soft-float calls here.

## Binary layers, per model and core`;

const TAIL = `## Against the targets

The targets: on the emulated Cortex-M4, over all binary layers of the example CNN at most 8 executed
instructions per 32 binary MACs (about 21 for reference kernels); at most 10 for the example MLP; at most 13
on M0+; at most 5 on rv32imc with Zbb; at most 9 on the ESP32 (Xtensa, measured on the lx106 stand-in). The example models: examples/mlp (784 -> 256 int8-input layer, then
binary 256 -> 256 and 256 -> 10, rows of K = 8 words) and examples/cnn (int8 3×3 conv 1 -> 32, then binary
3×3 convs 32 -> 32 and 32 -> 64 (K = 9 words) and 64 -> 64 (K = 18), each padded and followed by a 2×2 max
pool, a 3×3 dense 64 -> 64 (K = 18) and 64 -> 10 (K = 2)). Each binary conv of the CNN runs fused with its
pool and threshold, so only packed bits reach the arena. The optimized kernels (docs/targets.md, "Optimized
binary kernels"): without a popcount instruction, thresholded layers are bit-sliced across 32 output channels
(a lane-wise carry-save count of the window's bits, thresholds compared as bit planes); windows crossing the
padding are gathered with zero words and absorbed by per-border-class constants; a pool before a threshold
is an AND/OR of per-pixel bits. With Zbb each channel sums \`cpop\` of its words, four channels per pass.
The gaps and their reasons (the table of figures follows):

- **Cortex-M4, bit-sliced**: per pair of window bits two column loads, two SBFX, two EOR and a 4-operation
  full adder with l0 (pair encoding), then the higher levels' share of the carry-save tree (15 full adders of
  5 operations per 32 bits): about 7.3 instructions per 32 MACs; on top come, per pixel and 32 channels, the
  gather of the window, the carries' adder tree and the bit-plane compare. Those weigh most at K = 9 words
  (the CNN's 28×28 and 14×14 layers, about 8.3) and least at K = 18 (6.0). Not done: lookup tables over groups
  of activation bits (PERFORMANCE-NOTES' "below the floor", at several times the weight memory).
- **Cortex-M0+**: Thumb-1 has two-operand logic, no SBFX (two shifts per mask) and 8 low registers. The
  bit-sliced blocks are hand-allocated Thumb-1 (inline assembly, 16-bit blocks: about 10 instructions per bit
  before the per-pixel work); gcc's allocation of the same C reached 13.3 on the CNN. The MLP pays about 0.3
  for its 10-output int32 last layer (per-channel kernel, 21 per 32 MACs).
- **Cortex-M55**: windows of a multiple of 4 words (the MLP's K = 8) run as a loop gcc vectorizes with MVE
  (5.9 per 32 MACs, below the auto-vectorized reference's 7.3); K = 9 and 18 stay bit-sliced.
- **rv32imc without Zbb** runs the same bit-sliced kernel (two shifts per mask, 31 registers: no spills).
- **ESP32 (Xtensa, the lx106 stand-in)** runs the bit-sliced kernel with each weight column stored beside its
  complement (\`extui\`): the activation bit picks one by EXTUI, ADDX4 and a load, 3 instructions where the
  shift pair and XOR cost 4, at twice the column words (the example CNN's flash 24 KB → 36 KB). Per 32 bits
  16 pair steps of 10 and the higher levels' 75: about 7.3 per 32 MACs; on top the loop (lx106 has no \`LOOP\`:
  about 14 per window word) and per pixel the borrow chain (no AND-NOT: \`~x\` is an XOR with a register of
  ones) and the gathered window, with 16 registers (call0 ABI) spilling the D planes. An LX6 build would save
  the loop's counter and branch; its float epilogue would be FPU instructions, not soft-float calls.
- **Zbb**: a word costs a weight load, XOR, CPOP and ADD, plus an eighth of an activation load (eight
  channels per pass); the threshold is a subtraction whose sign bit is shifted into the output word.
- **The last layer of each model** (int32 scores: 10 outputs, K = 2 or 8 words) keeps the per-channel kernel;
  its MACs are under 4 % of any model's.
- **The int8 first layer** is not a binary layer and not in the figures, but it is most of the inference's
  instructions in the reference kernels (the example CNN's 3×3 conv over 28×28 pixels: 4.9M of 16.0M on M4).
  Optimized (IntConvFast: tables of the signed sums of four window values, indexed by the weights' nibbles) it
  takes about 0.9M on M4; the per-layer tables below show it.
`;

const RAM = `## Peak RAM against the lifetime lower bound

Peak RAM is the model's static data (the arena) plus the painted stack of the optimized build. The lower
bound is the most arena bytes live at once over the layer order: the packed activations between layers (and
the last layers' int32 sums and float outputs) whose lifetimes [made, last read] overlap; no arena placement
can be smaller, and the input image is the caller's. The gap is the stack: the optimized kernels' documented
scratch (the gathered window \`a_buf\`, K words, where a window crosses the padding or is not contiguous; the
bit-sliced kernel's block carries \`cyb\`, K words, 2K on Armv6-M; for the example CNN's K = 18 layer 144
bytes, 216 on M0+; the first layer's tables and window, IntConvFast, at most 768 bytes), their spilled
temporaries and saved registers, and the callers' frames (the fused pooled
kernels keep no row of sums), plus any slack of the first-fit placement and its 8-byte alignment (the
best of three placement orders is kept: the example models reach the bound exactly).
`;
