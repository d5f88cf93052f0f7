// verify: emit the C plus a test-runner main, build it with the target's compiler, run it (natively with
// sanitizers, or under QEMU via semihosting: runner.ts), and compare every output byte with the reference
// interpreter. The input vectors are an iterable, consumed in batches: the runner is built once and run once
// per batch, so memory does not grow with the number of vectors. Several models (distinct prefixes) can share
// one image, so one build and one emulator launch per batch check them all.
// When a vector differs, a debug build (-DBNNC_DEBUG_LAYERS) writes every layer's output for that vector, and
// the report names the first layer that differs from the interpreter's value of the same lowered tensor.
// Targets without an emulator are compiled and sized only; the ts target's module is run in Node.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ts } from 'ts-morph';
import { run } from '../interp/run.js';
import { fail } from '../errors.js';
import { lookupOp } from '../ops/index.js';
import type { DType, Graph, Tensor } from '../ir/types.js';
import { buildCModel, type CModel, type LayerDump } from './c-data.js';
import { emitC, render, templateData } from './emit.js';
import { selectKernels, type KernelVariant } from './kernels.js';
import { buildImage, guestFailed, runImage, semihostEmulator } from './runner.js';
import type { Target } from './target.js';
import { cc, cflags, exec, runLimit, sectionSizes, type Sizes } from './toolchain.js';

export interface VerifyOptions {
  readonly prefix?: string;
  /** Keep the build here (created if missing); default: a fresh temporary directory, removed afterwards. */
  readonly workDir?: string;
  /** The limit of every step (each build, each run); default: each step's own, derived from its work (toolchain.ts). */
  readonly timeoutMs?: number;
  /** Input vectors per run of the runner; default: as many as fit in BATCH_BYTES, at most MAX_BATCH. */
  readonly batchSize?: number;
  /** Expected outputs (and layer values) come from this graph's interpreter run; default: the graph compiled. */
  readonly reference?: Graph;
  /** On a mismatch, rebuild with -DBNNC_DEBUG_LAYERS and find the first differing layer; default true. */
  readonly layerDebug?: boolean;
  /** Binary conv kernels of the emitted C (emitC's option): 'optimized' (default) or 'reference'. */
  readonly kernels?: KernelVariant;
  /** Called with what the code computed for each vector, in order (verifyOnTarget's case; see VerifyCase). */
  readonly onOutputs?: OutputsHook;
  /** The user's own compile flags (`verify --cflags`), after the target's in every build of the model and runner. */
  readonly cflags?: readonly string[];
}

/** What the code computed for vector `vector`: every output's elements as numbers, outputs in order (verify --expect). */
export type OutputsHook = (vector: number, values: number[]) => void;

/** One model of a multi-model verification: its graph, input vectors, C prefix and optional reference graph. */
export interface VerifyCase {
  readonly graph: Graph;
  /** Read once, in batches (an array, or a generator that makes the vectors as they are needed). */
  readonly inputs: Iterable<Tensor>;
  readonly prefix: string;
  readonly reference?: Graph;
  readonly kernels?: KernelVariant;
  readonly onOutputs?: OutputsHook;
}

export interface Mismatch { vector: number; output: string; byte: number; expected: number; actual: number }

/** The first layer whose output differs (debug build, first mismatching vector) and where. */
export interface LayerDiff {
  /** Index of the layer in the generated C (`<prefix>_l<i>_...`) and its function. */
  layer: number;
  fn: string;
  /** The lowered node that computes the tensor (for a fused conv and threshold: the Threshold) and the tensor. */
  node: string;
  tensor: string;
  vector: number;
  dtype: DType;
  elements: number;
  differing: number;
  /** The first differing elements (at most 8); packed words as unsigned numbers. */
  positions: { index: number; expected: number; actual: number }[];
}

export interface VerifyReport {
  target: string;
  /** The C prefix of the model. */
  prefix: string;
  /** False when the target has no runner here: compiled and sized only. */
  ran: boolean;
  vectors: number;
  /** Vectors with at least one differing output byte. */
  mismatchedVectors: number;
  /** The first differing bytes (at most 10). */
  firstMismatches: Mismatch[];
  /** When outputs differ: the first layer that differs (absent when every layer agrees or no debug run). */
  firstDifferingLayer?: LayerDiff;
  /** Sizes of the model object (the network alone) and, when linked, of the whole test image. */
  modelSizes: Sizes;
  imageSizes?: Sizes;
  arenaBytes: number;
  constBytes: number;
  /** The worst stack depth of the run functions as the header states it (`<PREFIX>_STACK_BYTES`), when measured. */
  stackBytes?: number;
  note: string;
}

/** Little-endian bytes of a tensor's elements as C stores them (int64 from the IR's float64 holder). */
export function tensorBytes(t: Tensor): Uint8Array {
  const n = t.data.length;
  switch (t.dtype) {
    case 'uint8': case 'int8': case 'bool': return new Uint8Array(t.data.buffer, t.data.byteOffset, n).slice();
    case 'int32': return new Uint8Array(Int32Array.from(t.data).buffer);
    case 'float32': return new Uint8Array(Float32Array.from(t.data).buffer);
    case 'int64': return new Uint8Array(BigInt64Array.from(t.data, (v) => BigInt(v)).buffer);
    default: return fail('BNNC_E010', `verify does not compare ${t.dtype} tensors yet`);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Input bytes per batch by default (the runner reads and writes one vector at a time), and vectors at most. */
export const BATCH_BYTES = 4 << 20;
export const MAX_BATCH = 1000;

export function verifyOnTarget(lowered: Graph, target: Target, inputs: Iterable<Tensor>, opts: VerifyOptions = {}): VerifyReport {
  return verifyManyOnTarget([{ graph: lowered, inputs, prefix: opts.prefix ?? 'bnn_model', reference: opts.reference, kernels: opts.kernels, onOutputs: opts.onOutputs }], target, opts)[0];
}

interface Built { c: VerifyCase; model: CModel; p: string; inPath: string; outPath: string }

/** The comparison so far of one model: vectors seen, mismatches, and the first mismatching vector's input. */
interface Tally { vectors: number; mismatchedVectors: number; firstMismatches: Mismatch[]; firstBad: number; firstBadInput?: Tensor; note: string }

const tally = (): Tally => ({ vectors: 0, mismatchedVectors: 0, firstMismatches: [], firstBad: -1, note: '' });

/** Up to n next values of an iterator. */
function take<T>(it: Iterator<T>, n: number): T[] {
  const out: T[] = [];
  while (out.length < n) {
    const r = it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

function batchSize(opts: VerifyOptions, vectorBytes: number): number {
  if (opts.batchSize !== undefined) return Math.max(1, Math.floor(opts.batchSize));
  return Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_BYTES / Math.max(1, vectorBytes))));
}

/**
 * Feeds the models' vectors to `run` in batches (each model's next batch written to its input file, then one
 * run for all) and compares each batch's outputs; at least one run, even without vectors.
 */
function runBatches(models: { c: VerifyCase; inPath: string; outPath: string }[], size: number, run: (vectors: number) => void): Tally[] {
  const tallies = models.map(tally);
  const its = models.map((m) => m.c.inputs[Symbol.iterator]());
  for (let first = true; ; first = false) {
    const batch = its.map((it) => take(it, size));
    const n = Math.max(...batch.map((b) => b.length));
    if (n === 0 && !first) break;
    models.forEach((m, i) => writeFileSync(m.inPath, concat(batch[i].map(tensorBytes))));
    run(n);
    models.forEach((m, i) => compareBatch(m.c, batch[i], new Uint8Array(readFileSync(m.outPath)), tallies[i]));
    if (n < size) break;
  }
  return tallies;
}

/** Verifies several models in one build and one run per batch; one report per model, in order. Prefixes must differ. */
export function verifyManyOnTarget(cases: readonly VerifyCase[], target: Target, opts: VerifyOptions = {}): VerifyReport[] {
  const dir = opts.workDir ? resolve(opts.workDir) : mkdtempSync(join(tmpdir(), 'bnnc-verify-'));
  mkdirSync(dir, { recursive: true });
  const limit = opts.timeoutMs;
  try {
    if (target.runner === 'ts') return cases.map((c) => verifyTs(c, target, dir, opts));
    const built: Built[] = cases.map((c) => {
      for (const [name, text] of emitC(c.graph, target, { prefix: c.prefix, kernels: c.kernels })) writeFileSync(join(dir, name), text);
      const model = buildCModel(c.graph, target, c.prefix);
      const p = model.prefix;
      return { c, model, p, inPath: join(dir, `${p}.in.bin`), outPath: join(dir, `${p}.out.bin`) };
    });
    if (new Set(built.map((b) => b.p)).size !== built.length) throw new Error('verify: the models need distinct prefixes');
    // every model object in one compiler run; the image links these objects
    const user = opts.cflags ?? [];
    cc(target, [...cflags(target, user), '-c', ...built.map((b) => `${b.p}.c`)], dir, `compiling ${built.length} model(s) for ${target.name}`, limit);
    const sizes = built.map((b) => sectionSizes(target, `${b.p}.o`, dir, limit));
    const base = (b: Built, i: number, t: Pick<Tally, 'vectors' | 'mismatchedVectors' | 'firstMismatches'>) => ({
      target: target.name, prefix: b.p, vectors: t.vectors, mismatchedVectors: t.mismatchedVectors, firstMismatches: t.firstMismatches,
      // the constants of the C that was built (the selected kernels' layout), as its header states them
      modelSizes: sizes[i], arenaBytes: b.model.arenaBytes, constBytes: selectKernels(buildCModel(b.c.graph, target, b.p), target, b.c.kernels).constBytes,
    });
    if (target.runner === 'none') {
      return built.map((b, i) => {
        let vectors = 0;
        for (const _ of b.c.inputs) vectors++; // counted, not kept
        const note = `compiled with ${target.compiler.cc} and sized only: the code was NOT run (no emulator for ${target.core}). ${target.note ?? ''}`.trim();
        return { ...base(b, i, { vectors, mismatchedVectors: 0, firstMismatches: [] }), ran: false, note };
      });
    }
    const runner = buildRunner(target, dir, built, built.map((b) => `${b.p}.o`), limit, undefined, user);
    const tallies = runBatches(built, batchSize(opts, Math.max(...built.map((b) => b.model.input.bytes))), runner.run);
    return built.map((b, i) => {
      const t = tallies[i];
      const report: VerifyReport = { ...base(b, i, t), ran: true, imageSizes: runner.imageSizes, note: runner.note + t.note };
      const { firstBad, firstBadInput } = t;
      if (firstBadInput && opts.layerDebug !== false) {
        report.firstDifferingLayer = firstDifferingLayer(b, target, join(dir, `${b.p}-debug`), firstBad, firstBadInput, limit, user);
      }
      return report;
    });
  } finally {
    if (!opts.workDir) rmSync(dir, { recursive: true, force: true });
  }
}

interface Runner { imageSizes?: Sizes; note: string; run: (vectors: number) => void }

/**
 * Builds the runner for `models` (from `sources`: objects, or C files; with `debugPath`, a debug build that
 * writes every layer's output there); `run(n)` runs it once over the vectors in the models' input files.
 */
function buildRunner(target: Target, dir: string, models: Built[], sources: string[], timeoutMs?: number, debugPath?: string, user: readonly string[] = []): Runner {
  const data = {
    models: models.map((b) => ({
      ...templateData(b.model, target), inPath: b.inPath, outPath: b.outPath, inLen: Buffer.byteLength(b.inPath), outLen: Buffer.byteLength(b.outPath),
      outArgs: b.model.outputs.map((o) => `${b.p}_${o.cname}`).join(', '),
    })),
    debug: debugPath ? { path: debugPath, len: Buffer.byteLength(debugPath) } : false,
  };
  const defs = [...(debugPath ? ['-DBNNC_DEBUG_LAYERS'] : []), ...user];
  if (target.runner === 'host') {
    writeFileSync(join(dir, 'runner.c'), render('runner', 'runner-host.c.hbs', data));
    const san = target.compiler.sanitize ?? [];
    // the host runner compiles the models with the sanitizers: from their C, whatever `sources` holds
    cc(target, [...cflags(target, [...defs, ...san]), ...models.map((b) => `${b.p}.c`), 'runner.c', '-o', 'runner', ...san], dir, 'building the host runner', timeoutMs);
    return {
      note: `ran natively (${san.length ? san.join(' ') : 'no sanitizers'})`,
      run: (n) => { exec('./runner', [], { cwd: dir, timeoutMs: timeoutMs ?? runLimit(n), what: `running the host runner on ${n} vector(s)`, program: true }); },
    };
  }
  const emu = semihostEmulator(target, `verify on ${target.name}`);
  writeFileSync(join(dir, 'runner.c'), render('runner', 'runner-semihost.c.hbs', data));
  buildImage(target, dir, { sources: ['runner.c', ...sources], flags: defs, image: 'image.elf', what: `linking the ${target.name} test image`, timeoutMs });
  const emulated = `${emu.command} -M ${emu.machine} -cpu ${emu.cpu}`;
  return {
    imageSizes: sectionSizes(target, 'image.elf', dir, timeoutMs),
    note: `ran under ${emulated} (semihosting)`,
    run: (n) => {
      const what = `${emu.command} -M ${emu.machine} running the ${target.name} test image on ${n} vector(s)`;
      const r = runImage(target, dir, 'image.elf', { what, timeoutMs: timeoutMs ?? runLimit(n) });
      if (r.exitCode !== 0) throw guestFailed(what, r);
    },
  };
}

/** Compares a batch of a model's outputs (vectors t.vectors, t.vectors + 1, ...) with the reference interpreter. */
function compareBatch(c: VerifyCase, batch: readonly Tensor[], actual: Uint8Array, t: Tally): void {
  const ref = c.reference ?? c.graph;
  const inName = c.graph.inputs[0].name;
  const offset = t.vectors;
  let at = 0, bad = 0;
  batch.forEach((x, k) => {
    const v = offset + k;
    const outs = run(ref, { [inName]: x });
    let differs = false;
    const values: number[] = [];
    for (const o of c.graph.outputs) {
      const want = outs.get(o)!;
      const exp = tensorBytes(want);
      if (c.onOutputs) values.push(...elements(actual.subarray(at, at + exp.length), want.dtype, false));
      for (let i = 0; i < exp.length; i++) {
        const a = at + i < actual.length ? actual[at + i] : -1;
        if (a !== exp[i]) {
          differs = true;
          if (t.firstMismatches.length < 10) t.firstMismatches.push({ vector: v, output: o, byte: i, expected: exp[i], actual: a });
        }
      }
      at += exp.length;
    }
    c.onOutputs?.(v, values);
    if (!differs) return;
    bad++;
    if (t.firstBad < 0) { t.firstBad = v; t.firstBadInput = x; }
  });
  if (actual.length !== at) {
    if (!t.note) t.note = `; output file has ${actual.length} bytes, expected ${at}${offset ? ` (the batch from vector ${offset})` : ''}`;
    if (bad === 0 && batch.length > 0) {
      bad = batch.length;
      if (t.firstBad < 0) { t.firstBad = offset; t.firstBadInput = batch[0]; }
    }
  }
  t.mismatchedVectors += bad;
  t.vectors += batch.length;
}

/** Element values of little-endian bytes as the C type of a tensor holds them (packed words unsigned). */
function elements(bytes: Uint8Array, dtype: DType, packed: boolean): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = dtype === 'int64' ? 8 : dtype === 'int32' || dtype === 'float32' ? 4 : 1;
  return Array.from({ length: Math.floor(bytes.length / size) }, (_, i) => {
    switch (dtype) {
      case 'int64': return Number(v.getBigInt64(8 * i, true));
      case 'int32': return packed ? v.getUint32(4 * i, true) : v.getInt32(4 * i, true);
      case 'float32': return v.getFloat32(4 * i, true);
      case 'int8': return v.getInt8(i);
      default: return v.getUint8(i);
    }
  });
}

/**
 * Rebuilds one model with -DBNNC_DEBUG_LAYERS, runs it on input vector `vector`, and compares every layer's
 * output (records of layer index, byte count, bytes, in call order) with the interpreter's value of the same
 * lowered tensor; returns the first that differs.
 */
function firstDifferingLayer(b: Built, target: Target, dir: string, vector: number, input: Tensor, timeoutMs?: number, user: readonly string[] = []): LayerDiff | undefined {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of emitC(b.c.graph, target, { prefix: b.c.prefix, kernels: b.c.kernels })) writeFileSync(join(dir, name), text);
  const one: Built = { ...b, inPath: join(dir, `${b.p}.in.bin`), outPath: join(dir, `${b.p}.out.bin`) };
  writeFileSync(one.inPath, tensorBytes(input));
  const debugPath = join(dir, 'layers.bin');
  buildRunner(target, dir, [one], [`${b.p}.c`], timeoutMs, debugPath, user).run(1);
  const dump = new Uint8Array(readFileSync(debugPath));
  const ref = b.c.reference ?? b.c.graph;
  const values = run(ref, { [b.c.graph.inputs[0].name]: input }, { keepAll: true });
  const dumps = b.model.layers.flatMap((l) => ((l.dumps as LayerDump[] | undefined) ?? []).map((d) => ({ ...d, layer: l.index as number, fn: l.fn })));
  const view = new DataView(dump.buffer, dump.byteOffset, dump.byteLength);
  let at = 0;
  for (const d of dumps) {
    if (at + 8 > dump.length) break;
    const layer = view.getUint32(at, true), bytes = view.getUint32(at + 4, true);
    const actual = dump.subarray(at + 8, at + 8 + bytes);
    at += 8 + bytes;
    const exp = values.get(d.tensor);
    if (layer !== d.layer || !exp) continue;
    const expected = tensorBytes(exp);
    if (expected.length === actual.length && expected.every((x, i) => x === actual[i])) continue;
    const packed = b.c.graph.nodes.some((n) => n.outputs.includes(d.tensor) && lookupOp(n.domain, n.op)?.packedBits === true);
    const e = elements(expected, exp.dtype, packed), a = elements(actual, exp.dtype, packed);
    const diff = e.map((x, i) => i).filter((i) => !Object.is(e[i], a[i]));
    return {
      layer: d.layer, fn: d.fn, node: d.node, tensor: d.tensor, vector, dtype: exp.dtype, elements: e.length, differing: diff.length,
      positions: diff.slice(0, 8).map((i) => ({ index: i, expected: e[i], actual: a[i] })),
    };
  }
  return undefined;
}

/** The ts target: emit the module, transpile it with the TypeScript compiler, and run it in Node on every batch. */
function verifyTs(c: VerifyCase, target: Target, dir: string, opts: VerifyOptions): VerifyReport {
  const files = emitC(c.graph, target, { prefix: c.prefix });
  const [name, text] = [...files][0];
  const stem = name.replace(/\.ts$/, '');
  writeFileSync(join(dir, name), text);
  const js = ts.transpileModule(text, { compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ES2020 } }).outputText;
  writeFileSync(join(dir, `${stem}.mjs`), js);
  const inPath = join(dir, `${stem}.in.bin`), outPath = join(dir, `${stem}.out.bin`);
  const t = c.graph.inputs[0].type;
  const ctor = { uint8: 'Uint8Array', int8: 'Int8Array', int16: 'Int16Array', int32: 'Int32Array', float32: 'Float32Array' }[t.dtype as string];
  if (!ctor) fail('BNNC_E010', `verify does not run the ts module on ${t.dtype} inputs yet`);
  const per = t.shape.reduce((a, d) => a * d, 1) * ({ uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4 } as Record<string, number>)[t.dtype];
  writeFileSync(join(dir, `${stem}.runner.mjs`), [
    `import { readFileSync, writeFileSync } from 'node:fs';`,
    `import { run, OUTPUT_NAMES } from './${stem}.mjs';`,
    `const buf = readFileSync(${JSON.stringify(inPath)}), per = ${per};`,
    'const parts = [];',
    'for (let at = 0; at + per <= buf.length; at += per) {',
    `  const out = run(new ${ctor}(buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + per)));`,
    '  for (const o of OUTPUT_NAMES) parts.push(Buffer.from(out[o].buffer, out[o].byteOffset, out[o].byteLength));',
    '}',
    `writeFileSync(${JSON.stringify(outPath)}, Buffer.concat(parts));`,
  ].join('\n'));
  const [r] = runBatches([{ c, inPath, outPath }], batchSize(opts, per), (n) => {
    exec(process.execPath, [`${stem}.runner.mjs`], { cwd: dir, timeoutMs: opts.timeoutMs ?? runLimit(n), what: `running ${stem}.mjs in Node on ${n} vector(s)`, program: true });
  });
  return {
    target: target.name, prefix: stem, ran: true, vectors: r.vectors, mismatchedVectors: r.mismatchedVectors, firstMismatches: r.firstMismatches,
    modelSizes: { text: Buffer.byteLength(text), data: 0, bss: 0 }, arenaBytes: 0,
    constBytes: [...c.graph.initializers.values()].reduce((s, x) => s + x.data.byteLength, 0),
    note: `ran ${stem}.ts (transpiled to JavaScript) in Node ${process.version}${r.note}`,
  };
}

/** Compiles the emitted model with the target's compiler and warnings as errors; returns its sizes. */
export function compileCheck(lowered: Graph, target: Target, opts: { prefix?: string; workDir?: string; timeoutMs?: number } = {}): Sizes {
  const dir = opts.workDir ? resolve(opts.workDir) : mkdtempSync(join(tmpdir(), 'bnnc-cc-'));
  mkdirSync(dir, { recursive: true });
  try {
    const files = emitC(lowered, target, { prefix: opts.prefix });
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    const c = [...files.keys()].find((f) => f.endsWith('.c'))!;
    cc(target, [...cflags(target), '-c', c, '-o', 'model.o'], dir, `compiling ${c} for ${target.name}`, opts.timeoutMs);
    return sectionSizes(target, 'model.o', dir, opts.timeoutMs);
  } finally {
    if (!opts.workDir) rmSync(dir, { recursive: true, force: true });
  }
}
