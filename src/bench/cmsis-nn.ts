// CMSIS-NN side by side (issue #15 item 5): builds an int8 network of given layer shapes with CMSIS-NN's kernels
// (from a copy of its sources, compiled once with the target's own compiler and flags), runs it under the same
// emulator and instruction-count plugin as `bench`, and reports instructions per layer, flash and RAM. The image
// also checks every layer against a plain C int8 reference (templates/bench/cmsis-net.c.hbs), so the measured
// code is known to compute the right thing. Weights and inputs are seeded random: the speed does not depend on
// the values. For Arm M-profile targets with an emulator (CMSIS-NN is Cortex-M code; elsewhere its build fails).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { render } from '../backend/emit.js';
import { buildImage, emulatorCommand } from '../backend/runner.js';
import type { Target } from '../backend/target.js';
import { binutil, exec, runLimit, ToolchainError } from '../backend/toolchain.js';
import { buildPlugin, runCounted } from './plugin.js';

/** One int8 layer: a k×k convolution (NHWC, per-channel requantization), a fully connected layer, a max pool. */
export type CmsisLayerSpec =
  | { kind: 'conv'; out: number; k: number; pad: number; stride?: number; relu: boolean }
  | { kind: 'fc'; out: number; relu: boolean }
  | { kind: 'maxpool'; k: number; stride?: number };

export interface CmsisNetSpec {
  name: string;
  /** Input height, width, channels (NHWC int8, zero point −128: uint8 pixels shifted by the caller). */
  input: [number, number, number];
  layers: CmsisLayerSpec[];
  /** Seed of the weights, biases, multipliers and input (default 1). */
  seed?: number;
}

/** Where the sources are: CMSIS-NN's folder (Include/, Source/) and the CMSIS Core headers' Include folder. */
export interface CmsisSources { nn: string; coreInclude: string }

export interface CmsisLayerReport {
  index: number;
  kind: CmsisLayerSpec['kind'];
  /** The CMSIS-NN function called. */
  kernel: string;
  title: string;
  /** Multiply-accumulates (0 for a pool). */
  macs: number;
  /** Executed instructions between the marks around the layer's call, without the marker's cost. */
  instructions: number;
  /** Bytes of the layer's constants in flash: weights, biases, multipliers, shifts, parameter structs. */
  constBytes: number;
  /** Distinct values in the reference's output of this layer (a check that the data is not degenerate). */
  distinct: number;
}

export interface CmsisReport {
  name: string;
  target: string;
  layers: CmsisLayerReport[];
  /** Every layer's CMSIS-NN output equal to the reference's, and the timed run's output too; all calls succeeded. */
  exact: boolean;
  mismatched: number;
  status: number;
  markCost: number;
  total: { instructions: number; macs: number };
  /** Flash: the layers' constants, and the code of the network (layer calls, CMSIS-NN kernels, libc they use). */
  flash: { consts: number; code: number; total: number };
  /** RAM: the two activation buffers, the scratch buffer, the stack painted during the timed run, their sum. */
  ram: { arena: number; scratch: number; stack: number; peak: number };
}

/** The CMSIS-NN sources a layer kind needs (its kernel and what that calls on a core with or without DSP/MVE). */
const SOURCES: Record<CmsisLayerSpec['kind'], string[]> = {
  conv: [
    'ConvolutionFunctions/arm_convolve_s8.c', 'ConvolutionFunctions/arm_nn_mat_mult_kernel_s8_s16.c',
    'ConvolutionFunctions/arm_nn_mat_mult_kernel_row_offset_s8_s16.c', 'ConvolutionFunctions/arm_convolve_get_buffer_sizes_s8.c',
    'NNSupportFunctions/arm_s8_to_s16_unordered_with_offset.c', 'NNSupportFunctions/arm_q7_to_q15_with_offset.c',
    'NNSupportFunctions/arm_nn_mat_mult_nt_t_s8.c',
  ],
  fc: ['FullyConnectedFunctions/arm_fully_connected_s8.c', 'NNSupportFunctions/arm_nn_vec_mat_mult_t_s8.c'],
  maxpool: ['PoolingFunctions/arm_max_pool_s8.c'],
};
const KERNEL: Record<CmsisLayerSpec['kind'], string> = { conv: 'arm_convolve_s8', fc: 'arm_fully_connected_s8', maxpool: 'arm_max_pool_s8' };

/** True when the folders hold CMSIS-NN and the CMSIS Core headers. */
export function hasCmsisSources(s: CmsisSources): boolean {
  return existsSync(join(s.nn, 'Include/arm_nnfunctions.h')) && existsSync(join(s.coreInclude, 'cmsis_compiler.h'));
}

/** CMSIS-NN's include flags (as system headers: their warnings are not ours). */
function includes(s: CmsisSources): string[] {
  return ['-isystem', join(resolve(s.nn), 'Include'), '-isystem', resolve(s.coreInclude)];
}

/**
 * Compiles the CMSIS-NN sources the layer kinds need with the target's compiler flags into objects under
 * `<cacheDir>/<hash>/` (default cacheDir: the OS temp folder) and returns their paths; unchanged sources and
 * flags reuse the objects, so a run builds them once. Warnings flags are the target's but not -Werror.
 */
export function buildCmsisObjects(t: Target, s: CmsisSources, kinds: Iterable<CmsisLayerSpec['kind']>, cacheDir = join(tmpdir(), 'bnnc-cmsis-nn')): string[] {
  const files = [...new Set([...kinds].flatMap((k) => SOURCES[k]))].sort().map((f) => join(resolve(s.nn), 'Source', f));
  const flags = [...t.compiler.flags, ...includes(s)];
  const hash = createHash('sha256').update(t.compiler.cc).update(flags.join(' '));
  for (const f of files) hash.update(f).update(readFileSync(f));
  const dir = join(cacheDir, hash.digest('hex').slice(0, 16));
  const objs = files.map((f) => join(dir, basename(f).replace(/\.c$/, '.o')));
  if (objs.every(existsSync)) return objs;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(join(cacheDir, 'build-'));
  try {
    exec(t.compiler.cc, [...flags, '-c', ...files], { cwd: tmp, what: `compiling CMSIS-NN for ${t.name}`, timeoutMs: 60_000 + 20_000 * files.length });
    try {
      renameSync(tmp, dir); // atomic: a concurrent build either finished first (then its objects stand) or sees none
    } catch (e) {
      if (!objs.every(existsSync)) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return objs;
}

/** Deterministic pseudo-random integers (a 32-bit LCG, the same as bench's input). */
function lcg(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return lo + ((s >>> 8) % (hi - lo + 1));
  };
}

/** A real scale as TFLite's (Q31 multiplier in [2^30, 2^31), shift): scale = multiplier · 2^(shift − 31). */
export function quantizeMultiplier(scale: number): { mult: number; shift: number } {
  if (!(scale > 0 && scale < 1)) throw new Error(`requantization scale ${scale} outside (0, 1)`);
  let shift = Math.floor(Math.log2(scale)) + 1;
  let q = Math.round(scale * 2 ** (31 - shift));
  if (q >= 2 ** 31) { q /= 2; shift += 1; }
  if (q < 2 ** 30) { q *= 2; shift -= 1; }
  return { mult: q, shift };
}

function body(vals: ArrayLike<number>, per = 24): string {
  const out: string[] = [];
  for (let i = 0; i < vals.length; i += per) out.push(`    ${Array.from(vals).slice(i, i + per).join(', ')},`);
  return out.join('\n');
}

interface Planned {
  index: number; kind: CmsisLayerSpec['kind']; title: string; macs: number; outCount: number; inCount: number;
  data: Record<string, unknown>;
}

/** Output codes' spread aimed at (standard deviation before the clamp, in int8 steps). */
const SPREAD = 48;
const INT8_WEIGHT_SQ = (127 * 128) / 3; // E[w²] of weights uniform over [−127, 127]

/**
 * Shapes, seeded data and TFLite quantization of every layer. Each weighted layer's requantization scale is set
 * so its accumulators (estimated from E[x²] of its input and E[w²]) spread over about ±SPREAD codes; with ReLU the
 * output zero point is −128 (real 0), so the next input offset is 128 and about half its values are 0.
 */
function plan(spec: CmsisNetSpec, selfTest: boolean): { planned: Planned[]; input: number[] } {
  const rnd = lcg(spec.seed ?? 1);
  let [h, w, c] = spec.input;
  const input = Array.from({ length: h * w * c }, () => rnd(-128, 127));
  let inOffset = 128, ex2 = input.reduce((s, v) => s + (v + inOffset) ** 2, 0) / input.length;
  const planned: Planned[] = [];
  spec.layers.forEach((l, index) => {
    const inCount = h * w * c;
    const last = index === spec.layers.length - 1;
    if (l.kind === 'maxpool') {
      const stride = l.stride ?? l.k;
      const oh = Math.floor((h - l.k) / stride) + 1, ow = Math.floor((w - l.k) / stride) + 1;
      planned.push({
        index, kind: l.kind, title: `max pool ${l.k}×${l.k}/${stride}: ${h}×${w}×${c} -> ${oh}×${ow}×${c}`, macs: 0, outCount: oh * ow * c, inCount,
        data: { conv: false, fc: false, pool: true, kind: 2, ih: h, iw: w, ic: c, oh, ow, cout: c, k: l.k, stride, pad: 0, inOffset: 0, outOffset: 0, refOutOffset: 0, actMin: -128, actMax: 127 },
      });
      [h, w] = [oh, ow];
      ex2 *= 2; // the largest of k² values of a half-zero ReLU output: about twice its mean square
      return;
    }
    const conv = l.kind === 'conv';
    const k = conv ? l.k : 1, pad = conv ? l.pad : 0, stride = conv ? (l.stride ?? 1) : 1;
    const ic = conv ? c : h * w * c, ih = conv ? h : 1, iw = conv ? w : 1;
    const oh = conv ? Math.floor((h + 2 * pad - k) / stride) + 1 : 1, ow = conv ? Math.floor((w + 2 * pad - k) / stride) + 1 : 1;
    const taps = k * k * ic, cout = l.out;
    const weights = Array.from({ length: cout * taps }, () => rnd(-127, 127));
    const accStd = Math.sqrt(taps * ex2 * INT8_WEIGHT_SQ);
    const bias = Array.from({ length: cout }, () => rnd(-Math.round(accStd / 4), Math.round(accStd / 4)));
    const scale = SPREAD / accStd;
    const q = Array.from({ length: conv ? cout : 1 }, () => quantizeMultiplier(scale * (conv ? 0.75 + rnd(0, 1000) / 2000 : 1)));
    const outOffset = l.relu ? -128 : 0;
    planned.push({
      index, kind: l.kind, macs: oh * ow * cout * taps, outCount: oh * ow * cout, inCount,
      title: conv ? `conv ${k}×${k}/${stride} pad ${pad}: ${h}×${w}×${c} -> ${oh}×${ow}×${cout}${l.relu ? ', ReLU' : ''}` : `fully connected ${ic} -> ${cout}${l.relu ? ', ReLU' : ''}`,
      data: {
        conv, fc: !conv, pool: false, kind: conv ? 0 : 1, ih, iw, ic, oh, ow, cout, k, stride, pad, inCount: ic,
        inOffset, outOffset, refOutOffset: outOffset + (selfTest && last ? 1 : 0), actMin: -128, actMax: 127,
        wCount: weights.length, wBody: body(weights), bBody: body(bias),
        multBody: conv ? body(q.map((v) => v.mult), 8) : String(q[0].mult), shiftBody: conv ? body(q.map((v) => v.shift)) : String(q[0].shift),
      },
    });
    [h, w, c] = conv ? [oh, ow, cout] : [1, 1, cout];
    inOffset = -outOffset;
    ex2 = l.relu ? (SPREAD * SPREAD) / 2 : SPREAD * SPREAD;
  });
  return { planned, input };
}

/** The im2col buffer arm_convolve_s8 takes without MVE: two columns of int16 taps, rounded up to 4 (bytes). */
function convScratch(ic: number, k: number): number {
  return 2 * 2 * (Math.ceil((k * k * ic) / 4) * 4);
}

export interface CmsisBenchOptions {
  /** Keep the build here; default: a temporary folder, removed afterwards. */
  readonly workDir?: string;
  /** The reference's last layer off by one output step: the check must then report mismatches (tests). */
  readonly selfTest?: boolean;
  /** Where the compiled CMSIS-NN objects are cached (default: the OS temp folder). */
  readonly cacheDir?: string;
}

/** Builds the network with CMSIS-NN for the target, runs it once under the emulator with exact counts, reports. */
export function benchCmsis(spec: CmsisNetSpec, t: Target, src: CmsisSources, opts: CmsisBenchOptions = {}): CmsisReport {
  // with MVE, arm_fully_connected_s8 wants the kernel sums (arm_vector_sum_s8) in ctx.buf: not wired here
  if (t.features.mve) throw new ToolchainError(`the CMSIS-NN bench harness does not prepare MVE's kernel sums (target ${t.name})`, 'benchmarking CMSIS-NN');
  const { planned, input } = plan(spec, opts.selfTest ?? false);
  const dir = opts.workDir ? resolve(opts.workDir) : mkdtempSync(join(tmpdir(), 'bnnc-cmsis-'));
  mkdirSync(dir, { recursive: true });
  try {
    const objs = buildCmsisObjects(t, src, planned.map((p) => p.kind), opts.cacheDir);
    // ping-pong: layer i writes buffer i mod 2, reads the other (the first reads the input)
    const bufs = ['net_arena_a', 'net_arena_b'];
    const size = [0, 0];
    planned.forEach((p) => { size[p.index % 2] = Math.max(size[p.index % 2], p.outCount); });
    const arena = [Math.ceil(size[0] / 4) * 4, Math.ceil(size[1] / 4) * 4];
    const scratch = Math.max(0, ...planned.filter((p) => p.kind === 'conv').map((p) => convScratch(Number(p.data.ic), Number(p.data.k))));
    const last = planned[planned.length - 1];
    const layers = planned.map((p) => ({ ...p.data, index: p.index, title: p.title, src: p.index === 0 ? 'net_input' : bufs[(p.index + 1) % 2], dst: bufs[p.index % 2] }));
    writeFileSync(join(dir, 'net.c'), render('bench', 'cmsis-net.c.hbs', {
      name: spec.name, inputCount: input.length, inputBody: body(input), arenaA: Math.max(arena[0], 4), arenaB: Math.max(arena[1], 4),
      scratchWords: scratch / 4, layers, layerCount: planned.length, outCounts: planned.map((p) => p.outCount).join(', '),
      largest: Math.max(...planned.map((p) => p.outCount)), lastIndex: last.index, lastBuffer: bufs[last.index % 2],
    }));
    const what = `the CMSIS-NN bench image of ${spec.name} for ${t.name}`;
    buildImage(t, dir, { sources: ['net.c', ...objs, '-lc'], flags: includes(src), image: 'net.elf', what: `linking ${what}` });
    const r = runCounted({
      qemu: emulatorCommand(t, join(dir, 'net.elf')), elf: join(dir, 'net.elf'), plugin: buildPlugin(),
      timeoutMs: runLimit(1), limit: 4_000_000_000, what: `running ${what}`,
    });
    const text = r.stdout + r.stderr;
    const num = (key: string) => Number(new RegExp(`cmsis-bench ${key} (\\d+)`).exec(text)?.[1] ?? NaN);
    const distinct = [...text.matchAll(/cmsis-bench distinct (\d+)/g)].map((m) => Number(m[1]));
    const [stack, mismatched, status] = [num('stack'), num('mismatched'), num('status')];
    if (r.limitHit || Number.isNaN(mismatched) || distinct.length !== planned.length) throw new ToolchainError(`running ${what}: the image did not finish (exit ${r.exitCode})\n${text}`, what);
    const N = planned.length;
    if (r.marks.length !== N + 3) throw new ToolchainError(`running ${what}: ${r.marks.length} marks, expected ${N + 3}`, what);
    const m = r.marks[1] - r.marks[0];

    // flash: symbol sizes in the image (whose link script puts read-only data in .text: code and constants are
    // told apart by name, and for CMSIS-NN and libc by their type in the objects that define them)
    const nm = binutil(t, 'nm');
    const lib = new Map<string, boolean>([['memcpy', true], ['memset', true]]);
    for (const o of objs) for (const s of symbolSizes(nm, o, dir)) if (!/get_buffer_size/.test(s.sym)) lib.set(s.sym, s.code);
    let consts = 0, code = 0;
    const layerConst = new Array<number>(N).fill(0);
    for (const s of symbolSizes(nm, join(dir, 'net.elf'), dir)) {
      const li = /^net_l(\d+)_(?!run$)/.exec(s.sym);
      if (li) layerConst[Number(li[1])] += s.size;
      if (li || (lib.has(s.sym) && !lib.get(s.sym))) consts += s.size;
      else if (/^net_(l\d+_run|run)$/.test(s.sym) || lib.get(s.sym)) code += s.size;
    }
    const layerReports: CmsisLayerReport[] = planned.map((p, i) => ({
      index: p.index, kind: p.kind, kernel: KERNEL[p.kind], title: p.title, macs: p.macs,
      instructions: r.marks[3 + i] - r.marks[2 + i] - m, constBytes: layerConst[i], distinct: distinct[i],
    }));
    const staticRam = arena[0] + arena[1] + scratch;
    return {
      name: spec.name, target: t.name, layers: layerReports, exact: mismatched === 0 && status === 0, mismatched, status, markCost: m,
      total: { instructions: r.marks[N + 2] - r.marks[2] - m * N, macs: planned.reduce((s, p) => s + p.macs, 0) },
      flash: { consts, code, total: consts + code },
      ram: { arena: arena[0] + arena[1], scratch, stack, peak: staticRam + stack },
    };
  } finally {
    if (!opts.workDir) rmSync(dir, { recursive: true, force: true });
  }
}

/** The defined symbols of an object or image with their sizes (`nm -S`, local ones too); code or data. */
function symbolSizes(nm: string, file: string, cwd: string): { sym: string; size: number; code: boolean }[] {
  const out: { sym: string; size: number; code: boolean }[] = [];
  for (const line of exec(nm, ['-S', '--defined-only', file], { cwd, what: `${nm} ${file}` }).stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4) out.push({ sym: f[3], size: parseInt(f[1], 16), code: /^[tT]$/.test(f[2]) });
  }
  return out;
}
