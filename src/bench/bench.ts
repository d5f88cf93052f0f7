// `bnnc bench`: builds a bench image (the model with -DBNNC_BENCH, whose run() calls the marker before every
// layer and after the last, plus a runner that paints the stack and checks the outputs), runs it once under
// the target's emulator with the instruction-count plugin, and reports per layer and in total: executed
// instructions (exact), binary MACs, MACs per instruction, an estimated cycle count (cycles.ts), flash
// (weights, thresholds, code) and peak RAM (arena + measured stack). Method: docs/benchmarks-method.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildCModel, CTYPE_BYTES, type CModel, type Layer } from '../backend/c-data.js';
import { emitC, render } from '../backend/emit.js';
import { selectKernels, type KernelVariant } from '../backend/kernels.js';
import { buildImage, emulatorCommand, runsSemihosted } from '../backend/runner.js';
import type { CostModel, Target } from '../backend/target.js';
import { binutil, cc, cflags, exec, runLimit, sectionSizes, ToolchainError } from '../backend/toolchain.js';
import { tensorBytes } from '../backend/verify.js';
import { run } from '../interp/run.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, Tensor } from '../ir/types.js';
import { disassemble, estimateCycles } from './cycles.js';
import { buildPlugin, runCounted } from './plugin.js';
import { benchChip, type ChipBench, type Reserve } from './estimate.js';

export interface BenchOptions {
  readonly prefix?: string;
  /** Kernel variant of the generated C (default 'optimized'). */
  readonly kernels?: KernelVariant;
  /** The input vector (default: seeded pseudo-random values of the input's type). */
  readonly input?: Tensor;
  /** Keep the build here; default: a temporary folder, removed afterwards. */
  readonly workDir?: string;
  /** The limit of every step (builds, the emulator run); default: each step's own, derived from its work. */
  readonly timeoutMs?: number;
  /** Count executions per address for the cycle estimate (slower); default true where a cost table exists. */
  readonly estimate?: boolean;
  /** With a chip target: flash and RAM kept for the application in its fit (default none). */
  readonly reserve?: Reserve;
}

export interface BenchLayer {
  index: number;
  fn: string;
  /** The comment's first line: node names, op, shapes. */
  title: string;
  /** The C template: XnorConvFast, XnorConvThreshold, IntConv, Threshold, ... */
  kernel: string;
  /** Binary multiply-accumulates: output elements × taps × input channels (XnorConv layers). */
  binaryMacs: number;
  /** Integer multiply-accumulates (IntConv layers). */
  intMacs: number;
  /** Executed instructions between the marks around the layer's call (exact), without the marker's cost. */
  instructions: number;
  binaryMacsPerInstruction?: number;
  instructionsPer32BinaryMacs?: number;
  /** Estimated cycles of the layer function's address range (absent without a cost table). */
  cyclesEstimate?: number;
  /** Code bytes of the layer function (bench build, not inlined). */
  codeBytes?: number;
  weightBytes: number;
  thresholdBytes: number;
  otherConstBytes: number;
}

export interface BenchReport {
  target: string;
  core: string;
  kernels: KernelVariant;
  graph: string;
  /** False when the target has no emulator: only sizes are reported. */
  ran: boolean;
  /** Every output byte equal to the reference interpreter's on the bench input. */
  exact?: boolean;
  /** Cost of one marker call, measured on the image (subtracted from every interval). */
  markCost?: number;
  layers: BenchLayer[];
  total: {
    /** The whole inference: from the runner's call of run() to its return. */
    instructions?: number;
    binaryMacs: number;
    intMacs: number;
    /** Over the layers with binary MACs only. */
    binaryLayerInstructions?: number;
    binaryMacsPerInstruction?: number;
    instructionsPer32BinaryMacs?: number;
    cyclesEstimate?: number;
  };
  /** Bytes in flash: the model object's text + data (default build), split into constants and code. */
  flash: { weights: number; thresholds: number; otherConst: number; code: number; total: number };
  /** Bytes of RAM: the static arena and other model data, the stack measured by painting, their sum. */
  ram: { arena: number; staticData: number; stack?: number; peak?: number; arenaLowerBound?: number };
  /** The per-core cost table used, or null (instructions only). */
  cycleModel: CostModel | null;
  notes: string[];
  /** With a chip target (`--target nrf52840`): its fit and the ms/µJ estimates (src/bench/estimate.ts). */
  chip?: ChipBench;
}

const BINARY = new Set(['XnorConv', 'XnorConvThreshold', 'XnorConvFast', 'XnorConvGrouped']);

function layerMacs(l: Layer): { bin: number; int: number } {
  const v = (k: string) => Number(l[k]);
  const macs = v('OH') * v('OW') * v('M') * v('CG') * v('KH') * v('KW');
  if (BINARY.has(l.partial) || (l.partial === 'ConvPoolThreshold' && l.sumPartial === 'xnor-sum')) return { bin: macs, int: 0 };
  if (l.partial === 'ConvPoolThreshold') return { bin: 0, int: macs };
  if (/^IntConv/.test(l.partial)) return { bin: 0, int: macs };
  return { bin: 0, int: 0 };
}

/** Constants of a layer by kind, from the arrays the C declares (named <prefix>_c<i>_...). */
function layerConsts(model: CModel, l: Layer): { weights: number; thresholds: number; other: number } {
  const i = /_l(\d+)_/.exec(l.fn)?.[1];
  const out = { weights: 0, thresholds: 0, other: 0 };
  for (const c of model.consts) {
    if (!c.name.startsWith(`${model.prefix}_c${i}_`)) continue;
    const b = c.count * (CTYPE_BYTES[c.ctype] ?? 4);
    if (/_(weights|wcols|wbytes)$/.test(c.name)) out.weights += b;
    else if (/_(thresholds|thr_base|thr_step|thr_corr|kinds|dirs|dmin|e|fmask|omask)$/.test(c.name)) out.thresholds += b;
    else out.other += b;
  }
  return out;
}

function cArray(vals: ArrayLike<number>, per = 16): string {
  const out: string[] = [];
  for (let i = 0; i < vals.length; i += per) out.push(`    ${Array.from(vals).slice(i, i + per).join(', ')},`);
  return out.join('\n');
}

/** Function sizes and addresses from `nm -S` (local symbols included), clones by their function's name (GCC
 *  writes `f.constprop.0`, or `f$constprop$0` on Xtensa). */
function symbols(nm: string, file: string, cwd: string, timeoutMs?: number): Map<string, { addr: number; size: number }> {
  const out = exec(nm, ['-S', '--defined-only', file], { cwd, timeoutMs, what: `${nm} ${file}` }).stdout;
  const syms = new Map<string, { addr: number; size: number }>();
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4 && /^[tT]$/.test(f[2])) syms.set(f[3].replace(/[.$](constprop|isra|part|cold)[.$]\d+$/, ''), { addr: parseInt(f[0], 16) - (parseInt(f[0], 16) % 2), size: parseInt(f[1], 16) });
  }
  return syms;
}

/** A seeded input of the graph's input type (uniform over its integer range). */
export function benchInput(g: Graph, seed = 1): Tensor {
  const t = g.inputs[0].type;
  let s = seed >>> 0;
  const n = t.shape.reduce((a, b) => a * b, 1);
  const [lo, span] = t.dtype === 'int8' ? [-128, 256] : [0, 256];
  const vals = Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return lo + ((s >>> 16) % span);
  });
  return tensor(t.dtype, t.shape, vals);
}

/** Builds, runs once under the emulator with exact counts, and reports (see BenchReport); a chip adds its estimates. */
export function bench(lowered: Graph, target: Target, opts: BenchOptions = {}): BenchReport {
  const report = benchCore(lowered, target, opts);
  if (target.chip) report.chip = benchChip(target.chip, target.core, report, opts.reserve ?? { flash: 0, ram: 0 });
  return report;
}

function benchCore(lowered: Graph, target: Target, opts: BenchOptions): BenchReport {
  const kernels = opts.kernels ?? 'optimized';
  const prefix = opts.prefix ?? 'bnn_model';
  const dir = opts.workDir ? resolve(opts.workDir) : mkdtempSync(join(tmpdir(), 'bnnc-bench-'));
  mkdirSync(dir, { recursive: true });
  try {
    const model = selectKernels(buildCModel(lowered, target, prefix), target, kernels);
    const p = model.prefix;
    for (const [name, text] of emitC(lowered, target, { prefix, kernels })) writeFileSync(join(dir, name), text);
    const notes: string[] = [];
    const limit = opts.timeoutMs;

    // flash: the default build of the model object
    cc(target, [...cflags(target), '-c', `${p}.c`, '-o', 'model.o'], dir, `compiling ${p}.c for ${target.name}`, limit);
    const sizes = sectionSizes(target, 'model.o', dir, limit);
    const layers: BenchLayer[] = model.layers.map((l, index) => {
      const macs = layerMacs(l), k = layerConsts(model, l);
      return {
        index, fn: l.fn, title: l.comment.split('\n')[0], kernel: l.partial, binaryMacs: macs.bin, intMacs: macs.int,
        instructions: 0, weightBytes: k.weights, thresholdBytes: k.thresholds, otherConstBytes: k.other,
      };
    });
    const sum = (f: (l: BenchLayer) => number, ls = layers) => ls.reduce((s, l) => s + f(l), 0);
    const consts = { weights: sum((l) => l.weightBytes), thresholds: sum((l) => l.thresholdBytes), other: sum((l) => l.otherConstBytes) };
    const flashTotal = sizes.text + sizes.data;
    const flash = { weights: consts.weights, thresholds: consts.thresholds, otherConst: consts.other, code: flashTotal - consts.weights - consts.thresholds - consts.other, total: flashTotal };
    const ram: BenchReport['ram'] = { arena: model.arenaBytes, staticData: sizes.data + sizes.bss, arenaLowerBound: model.arenaLowerBound };
    const binMacs = sum((l) => l.binaryMacs), intMacs = sum((l) => l.intMacs);
    const cost = target.costModel;
    const report: BenchReport = {
      target: target.name, core: target.core, kernels, graph: lowered.name, ran: false, layers,
      total: { binaryMacs: binMacs, intMacs }, flash, ram, cycleModel: cost, notes,
    };
    if (!runsSemihosted(target)) {
      notes.push(`no emulator for ${target.core}: sizes only, nothing was run`);
      return report;
    }

    // the bench image: model with the marks and layers kept out of line, the runner, startup, link script
    const input = opts.input ?? benchInput(lowered);
    const outs = run(lowered, { [lowered.inputs[0].name]: input });
    const expected = lowered.outputs.flatMap((o) => Array.from(tensorBytes(outs.get(o)!)));
    writeFileSync(join(dir, 'bench.c'), render('bench', 'runner-bench.c.hbs', {
      ...model, inputBody: cArray(input.data), expectedCount: expected.length, expectedBody: cArray(expected),
      outArgs: model.outputs.map((o) => `bench_${o.cname}`).join(', '),
    }));
    const benchFlags = ['-DBNNC_BENCH', '-fno-inline-functions-called-once', '-fno-inline-small-functions'];
    buildImage(target, dir, { sources: [`${p}.c`, 'bench.c'], flags: benchFlags, image: 'bench.elf', what: `linking the ${target.name} bench image`, timeoutMs: limit });
    const syms = symbols(binutil(target, 'nm'), 'bench.elf', dir, limit);
    for (const l of layers) {
      const s = syms.get(l.fn);
      if (s) l.codeBytes = s.size;
      else notes.push(`${l.fn} was inlined in the bench build: its cycles are not separated`);
    }
    const estimate = (opts.estimate ?? true) && cost !== null;
    const what = `running the ${target.name} bench image`;
    // the model's own marker, <prefix>_mark (prefixed, so two models link into one firmware)
    const mark = syms.get(`${p}_mark`);
    if (!mark) throw new ToolchainError(`linking the ${target.name} bench image: no ${p}_mark in bench.elf`, 'linking the bench image');
    const r = runCounted({
      qemu: emulatorCommand(target, join(dir, 'bench.elf')), markSymbolAddr: mark.addr, plugin: buildPlugin(),
      pcs: estimate, timeoutMs: limit ?? runLimit(1), limit: 2_000_000_000, what,
    });
    const text = r.stdout + r.stderr;
    const stack = /bnnc-bench stack (\d+)/.exec(text), bad = /bnnc-bench mismatched (\d+)/.exec(text);
    if (!stack || !bad || r.limitHit) throw new ToolchainError(`${what}: the image did not finish (exit ${r.exitCode})\n${text}`, what);
    const N = layers.length;
    if (r.marks.length !== N + 4) throw new ToolchainError(`${what}: ${r.marks.length} marks, expected ${N + 4}`, what);
    const m = r.marks[1] - r.marks[0];
    layers.forEach((l, i) => { l.instructions = r.marks[3 + i] - r.marks[2 + i] - m; });
    report.ran = true;
    if (target.note) notes.push(target.note);
    report.exact = Number(bad[1]) === 0;
    report.markCost = m;
    ram.stack = Number(stack[1]);
    ram.peak = ram.staticData + ram.stack;
    const inference = r.marks[N + 3] - r.marks[1] - m * (N + 2);
    const binLayers = layers.filter((l) => l.binaryMacs > 0);
    const binInsn = sum((l) => l.instructions, binLayers);
    for (const l of layers) {
      if (!l.binaryMacs) continue;
      l.binaryMacsPerInstruction = l.binaryMacs / l.instructions;
      l.instructionsPer32BinaryMacs = (32 * l.instructions) / l.binaryMacs;
    }
    Object.assign(report.total, {
      instructions: inference, binaryLayerInstructions: binInsn,
      ...(binMacs ? { binaryMacsPerInstruction: binMacs / binInsn, instructionsPer32BinaryMacs: (32 * binInsn) / binMacs } : {}),
    });
    if (estimate && r.pcCounts && cost) {
      const insns = disassemble(binutil(target, 'objdump'), join(dir, 'bench.elf'), limit);
      for (const l of layers) {
        const s = syms.get(l.fn);
        if (s) l.cyclesEstimate = estimateCycles(cost, insns, r.pcCounts, s.addr, s.addr + s.size);
      }
      // the run's own code: <prefix>_run and the <prefix>_run_on it calls (unless inlined)
      const own = [`${p}_run`, `${p}_run_on`].map((n) => syms.get(n)).reduce((t, sym) => t + (sym ? estimateCycles(cost, insns, r.pcCounts!, sym.addr, sym.addr + sym.size) : 0), 0);
      report.total.cyclesEstimate = own + sum((l) => l.cyclesEstimate ?? 0);
      notes.push(`cycles: an estimate from the ${cost} cost table (docs/benchmarks-method.md), not a measurement`);
    } else if (!cost) {
      notes.push(`no cycle estimate for ${target.core} (no cost table for it): instructions only`);
    }
    if (!report.exact) notes.push(`outputs differ from the reference interpreter in ${bad[1]} bytes`);
    return report;
  } finally {
    if (!opts.workDir) rmSync(dir, { recursive: true, force: true });
  }
}
