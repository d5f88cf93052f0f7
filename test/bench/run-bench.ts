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
import { intConvNet, intInputs, type IntCase } from '../backend/int-net.js';
import { buildCModel } from '../../src/backend/c-data.js';
import { lanePlans } from '../../src/backend/kernels/int-lanes.js';
import type { IntConvLayer } from '../../src/ops/c-layer.js';

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
  return [HEAD, ...rows, '', '## Per layer on the emulated Cortex-M4', ...details, '', TAIL, ...goals, '', RAM, ...ram, ...cmsisSection(m4), '', intLayersDoc()].join('\n') + '\n';
}

/** The k-bit layers: one bnnc.IntConv over an NHWC int8/uint8 tensor of k-bit values, ±1 weights, int32 sums. */
export const INT_LAYERS: { name: string; c: IntCase }[] = [
  { name: '3×3 conv 4×4×32 → 64, pad 1', c: { seed: 31, h: 4, w: 4, c: 32, m: 64, k: 3, s: 1, pad: 1, dtype: 'int8', qmin: -128, qmax: 127, zp: 0 } },
  { name: '3×3 conv 4×4×32 → 64, pad 1', c: { seed: 32, h: 4, w: 4, c: 32, m: 64, k: 3, s: 1, pad: 1, dtype: 'uint8', qmin: 0, qmax: 255, zp: 0 } },
  { name: '3×3 conv 3×3×64 → 128, pad 1', c: { seed: 33, h: 3, w: 3, c: 64, m: 128, k: 3, s: 1, pad: 1, dtype: 'int8', qmin: -128, qmax: 127, zp: 0 } },
  { name: '3×3 conv 4×4×32 → 64, pad 1', c: { seed: 34, h: 4, w: 4, c: 32, m: 64, k: 3, s: 1, pad: 1, dtype: 'uint8', qmin: 0, qmax: 15, zp: 0 } },
  { name: '3×3 conv 4×4×32 → 64, pad 1', c: { seed: 35, h: 4, w: 4, c: 32, m: 64, k: 3, s: 1, pad: 1, dtype: 'uint8', qmin: 0, qmax: 3, zp: 0 } },
  { name: '3×3 conv 3×3×64 → 128, pad 1', c: { seed: 36, h: 3, w: 3, c: 64, m: 128, k: 3, s: 1, pad: 1, dtype: 'uint8', qmin: 0, qmax: 3, zp: 0 } },
  { name: 'dense 512 → 64', c: { seed: 37, h: 1, w: 1, c: 512, m: 64, k: 1, s: 1, pad: 0, dtype: 'int8', qmin: -128, qmax: 127, zp: 0 } },
];

const bitsOf = (c: IntCase) => Math.ceil(Math.log2(c.qmax - c.qmin + 1));

/** The k-bit layers' section: instructions per MAC per core, optimized / reference, and the two goals on M4. */
export function intLayersDoc(): string {
  const targets = TARGETS.map((mk) => mk());
  const head = `| layer | values (k bits) | MACs | kernel on M4 | ${targets.map((t) => `${t.name} opt / ref`).join(' | ')} | exact |`;
  const rows = [head, `|---|---|---:|---|${targets.map(() => '---:').join('|')}|---|`];
  const m4 = new Map<number, number>();
  INT_LAYERS.forEach(({ name, c }, i) => {
    const g = intConvNet(c);
    const input = intInputs(g, c, 4)[3];
    let exact = true, note = '';
    const cells = targets.map((t) => {
      let o: BenchReport, r: BenchReport;
      try {
        [o, r] = (['optimized', 'reference'] as const).map((kernels) => bench(g, t, { kernels, input, estimate: false }));
      } catch (e) {
        // the core's test image has no room for the layer (Cortex-M0+: 16 KiB of RAM)
        if (/will not fit in region|overflowed/.test(String(e))) return '— (RAM)';
        throw e;
      }
      exact &&= !!o.exact && !!r.exact;
      const per = (b: BenchReport) => b.layers[0].instructions / b.layers[0].intMacs;
      if (t.name === 'cortex-m4') {
        m4.set(i, per(o));
        const p = lanePlans(buildCModel(g, t, 'n').layers[0] as never as IntConvLayer, t)[0];
        note = `${o.layers[0].kernel}: ${p.L} lane${p.L > 1 ? 's' : ''}, groups of ${p.GS}`;
      }
      return `${f2(per(o))} / ${f2(per(r))}`;
    });
    rows.push(`| ${name} | ${c.dtype} ${c.qmin}..${c.qmax} (${bitsOf(c)}) | ${n0(g.types.get('y')!.shape.reduce((a, b) => a * b, 1) * c.c * c.k * c.k)} | ${note} | ${cells.join(' | ')} | ${exact ? 'yes' : 'NO'} |`);
  });
  const goals = ['| goal (Cortex-M4) | layer | measured | gap |', '|---|---|---:|---:|'];
  INT_LAYERS.forEach(({ name, c }, i) => {
    const v = m4.get(i)!;
    if (bitsOf(c) === 8) goals.push(`| int8 activations ≤ 0.5 instructions per MAC | ${name}, ${c.dtype} | ${f2(v)} | ${v <= 0.5 ? 'met' : `+${f2(v - 0.5)} (${f2(v / 0.5)}×)`} |`);
    if (bitsOf(c) === 2) goals.push(`| 2-bit activations ≤ 18 instructions per 32 MACs | ${name} | ${f2(32 * v)} | ${32 * v <= 18 ? 'met' : `+${f2(32 * v - 18)}`} |`);
  });
  return [INT_HEAD, '', ...rows, '', INT_TAIL, '', ...goals].join('\n');
}

const INT_SECTION = /## k-bit layers[\s\S]*?(?=\n## |\n<!-- tools:begin|$)/;

/** Replaces only the k-bit layers' section of docs/benchmarks.md (BNNC_BENCH_DOCS=int): minutes instead of the whole run. */
export function writeIntLayersDoc(): string {
  const path = `${ROOT}docs/benchmarks.md`;
  const old = readFileSync(path, 'utf8');
  const section = intLayersDoc();
  const text = INT_SECTION.test(old) ? old.replace(INT_SECTION, section) : old.replace(/\n<!-- tools:begin/, `\n${section}\n\n<!-- tools:begin`);
  writeFileSync(path, text);
  return section;
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

const INT_HEAD = `## k-bit layers: binary weights × integer activations

One \`bnnc.IntConv\` over an NHWC tensor of k-bit values stored as int8/uint8 (the value range, its \`qmin\`/\`qmax\`,
known at compile time), ±1 weights one bit each, int32 sums out (test/backend/int-net.ts builds the lowered
graph directly). Instructions per MAC of the layer, optimized (IntConvLanes, src/backend/kernels/int-lanes.ts)
and reference (IntConv.c.hbs), on one seeded input checked against the interpreter ("exact").`;

const INT_TAIL = `The optimized kernel (docs/targets.md, "k-bit integer layers"): per group of GS = 4, 5 or 6 window values a table
of the 2^GS signed sums, built per pass by doubling and indexed by the channel's weight bits; the values of L
output pixels ride in lanes of one 32-bit word (L = 2 for 8-bit values, 3 or 4 for 2-bit ones, 1 for a single
pixel), so one table load adds GS × L MACs. A group then costs an extract, a load and an add (3 instructions
on M4: 0.3 per MAC for int8 at GS = 5, L = 2); the rest is the tables (2 instructions per entry, 2^GS entries
per GS values per pass, shared by all output channels: less per MAC with more channels), the gather of the
window and the lanes' decode. The int8 goal is not met: the lookups alone take 0.3 per MAC, the tables and
the gather about 0.3 more (fewer at 128 output channels, which share each pass's tables); three lanes of
8-bit values would need 11-bit lanes with room for a group's sum of 4 × 255. A dense layer (one pixel) has
no second pixel to fill a lane: 1.14 per MAC. Not done: bit-serial kernels over the k bit planes
(Σ_i 2^i · popcount passes: about 8 instructions per 32 MACs per plane on M4, so 16 for 2-bit values and 64
for 8-bit ones, not below these tables) and SIMD (SMLAD needs the weights as 16-bit ±1, 16× their flash).`;

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
