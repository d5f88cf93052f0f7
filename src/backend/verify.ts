// verify: emit the C plus a test-runner main, build it with the target's compiler, run it (natively with
// sanitizers, or under QEMU via semihosting), and compare every output byte with the reference interpreter.
// Several models (distinct prefixes) can share one image, so one build and one emulator launch check them all.
// When a vector differs, a debug build (-DBNNC_DEBUG_LAYERS) writes every layer's output for that vector, and
// the report names the first layer that differs from the interpreter's value of the same lowered tensor.
// Targets without an emulator are compiled and sized only; the ts target's module is run in Node.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ts } from 'ts-morph';
import { run } from '../interp/run.js';
import type { DType, Graph, Tensor } from '../ir/types.js';
import { buildCModel, type CModel, type LayerDump } from './c-data.js';
import { emitC, render, templateData, TEMPLATES_DIR } from './emit.js';
import type { Emulator, Target } from './target.js';
import type { KernelVariant } from './kernels.js';
import { cflags, emulatorArgs, exec, sectionSizes, type Sizes } from './toolchain.js';

export interface VerifyOptions {
  readonly prefix?: string;
  /** Keep the build here (created if missing); default: a fresh temporary directory, removed afterwards. */
  readonly workDir?: string;
  /** Per program run; default 120 s. */
  readonly timeoutMs?: number;
  /** Expected outputs (and layer values) come from this graph's interpreter run; default: the graph compiled. */
  readonly reference?: Graph;
  /** On a mismatch, rebuild with -DBNNC_DEBUG_LAYERS and find the first differing layer; default true. */
  readonly layerDebug?: boolean;
  /** Binary conv kernels of the emitted C (emitC's option): 'optimized' (default) or 'reference'. */
  readonly kernels?: KernelVariant;
}

/** One model of a multi-model verification: its graph, input vectors, C prefix and optional reference graph. */
export interface VerifyCase {
  readonly graph: Graph;
  readonly inputs: readonly Tensor[];
  readonly prefix: string;
  readonly reference?: Graph;
  readonly kernels?: KernelVariant;
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
    default: throw new Error(`verify: ${t.dtype} outputs are not compared yet`);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function verifyOnTarget(lowered: Graph, target: Target, inputs: readonly Tensor[], opts: VerifyOptions = {}): VerifyReport {
  return verifyManyOnTarget([{ graph: lowered, inputs, prefix: opts.prefix ?? 'bnn_model', reference: opts.reference, kernels: opts.kernels }], target, opts)[0];
}

interface Built { c: VerifyCase; model: CModel; p: string; inPath: string; outPath: string }

/** Verifies several models in one build and one run; one report per model, in order. Prefixes must differ. */
export function verifyManyOnTarget(cases: readonly VerifyCase[], target: Target, opts: VerifyOptions = {}): VerifyReport[] {
  const dir = opts.workDir ? resolve(opts.workDir) : mkdtempSync(join(tmpdir(), 'bnnc-verify-'));
  mkdirSync(dir, { recursive: true });
  const timeoutMs = opts.timeoutMs ?? 120_000;
  try {
    if (target.runner === 'ts') return cases.map((c) => verifyTs(c, target, dir, timeoutMs));
    const built: Built[] = cases.map((c) => {
      for (const [name, text] of emitC(c.graph, target, { prefix: c.prefix, kernels: c.kernels })) writeFileSync(join(dir, name), text);
      const model = buildCModel(c.graph, target, c.prefix);
      const p = model.prefix;
      return { c, model, p, inPath: join(dir, `${p}.in.bin`), outPath: join(dir, `${p}.out.bin`) };
    });
    if (new Set(built.map((b) => b.p)).size !== built.length) throw new Error('verify: the models need distinct prefixes');
    // every model object in one compiler run; the image links these objects
    exec(target.compiler.cc, [...cflags(target), '-c', ...built.map((b) => `${b.p}.c`)], { cwd: dir, what: `compiling ${built.length} model(s) for ${target.name}` });
    const sizes = built.map((b) => sectionSizes(target, `${b.p}.o`, dir));
    const base = (b: Built, i: number) => ({
      target: target.name, prefix: b.p, vectors: b.c.inputs.length, mismatchedVectors: 0, firstMismatches: [], modelSizes: sizes[i],
      arenaBytes: b.model.arenaBytes, constBytes: b.model.constBytes,
    });
    if (target.runner === 'none') {
      return built.map((b, i) => ({ ...base(b, i), ran: false, note: `compiled with ${target.compiler.cc} and sized only: the code was NOT run (no emulator for ${target.core}). ${target.note ?? ''}`.trim() }));
    }
    for (const b of built) writeFileSync(b.inPath, concat(b.c.inputs.map(tensorBytes)));
    const { imageSizes, note } = buildAndRun(target, dir, built, built.map((b) => `${b.p}.o`), timeoutMs);
    return built.map((b, i) => {
      const { firstBad, note: more, ...r } = compare(b, new Uint8Array(readFileSync(b.outPath)));
      const report: VerifyReport = { ...base(b, i), ran: true, ...r, imageSizes, note: note + more };
      if (firstBad >= 0 && opts.layerDebug !== false) {
        report.firstDifferingLayer = firstDifferingLayer(b, target, join(dir, `${b.p}-debug`), firstBad, timeoutMs);
      }
      return report;
    });
  } finally {
    if (!opts.workDir) rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds the runner for `models` (from `sources`: objects, or C files) and runs it; with `debugPath`, a debug build. */
function buildAndRun(target: Target, dir: string, models: Built[], sources: string[], timeoutMs: number, debugPath?: string): { imageSizes?: Sizes; note: string } {
  const data = {
    models: models.map((b) => ({
      ...templateData(b.model, target), inPath: b.inPath, outPath: b.outPath, inLen: Buffer.byteLength(b.inPath), outLen: Buffer.byteLength(b.outPath),
      outArgs: b.model.outputs.map((o) => `${b.p}_${o.cname}`).join(', '),
    })),
    debug: debugPath ? { path: debugPath, len: Buffer.byteLength(debugPath) } : false,
  };
  const defs = debugPath ? ['-DBNNC_DEBUG_LAYERS'] : [];
  if (target.runner === 'host') {
    writeFileSync(join(dir, 'runner.c'), render('runner', 'runner-host.c.hbs', data));
    const san = target.compiler.sanitize ?? [];
    // the host runner compiles the models with the sanitizers: from their C, whatever `sources` holds
    exec(target.compiler.cc, [...cflags(target, san), ...defs, ...models.map((b) => `${b.p}.c`), 'runner.c', '-o', 'runner', ...san], { cwd: dir, what: 'building the host runner' });
    exec('./runner', [], { cwd: dir, timeoutMs, what: 'running the host runner' });
    return { note: `ran natively (${san.length ? san.join(' ') : 'no sanitizers'})` };
  }
  const riscv = target.runner === 'semihost-riscv';
  const emu = target.emulator;
  if (!emu) throw new Error(`target ${target.name}: runner ${target.runner} needs an emulator`);
  writeFileSync(join(dir, 'runner.c'), render('runner', 'runner-semihost.c.hbs', data));
  writeFileSync(join(dir, 'startup.S'), readFileSync(`${TEMPLATES_DIR}runner/${riscv ? 'startup-riscv.S' : 'startup-arm.S'}`, 'utf8'));
  writeFileSync(join(dir, 'link.ld'), render('runner', 'link.ld.hbs', { entry: riscv ? '_start' : 'reset_handler', ...memoryMap(emu) }));
  exec(target.compiler.cc, [...cflags(target), ...defs, ...target.compiler.linkFlags, '-T', 'link.ld', 'startup.S', 'runner.c', ...sources, '-o', 'image.elf', ...target.compiler.libs],
    { cwd: dir, what: `linking the ${target.name} test image` });
  const imageSizes = sectionSizes(target, 'image.elf', dir);
  const { cmd, args } = emulatorArgs(target, 'image.elf');
  try {
    exec(cmd, args, { cwd: dir, timeoutMs, what: `${cmd} -M ${emu.machine} running the ${target.name} test image` });
  } catch (e) {
    const m = (e as Error).message;
    throw new Error(/failed \(exit 99\)/.test(m) ? `${m}\n(exit 99: the guest took a fault or trap)` : m);
  }
  return { imageSizes, note: `ran under ${cmd} -M ${emu.machine} -cpu ${emu.cpu} (semihosting)` };
}

/** Compares a model's output file with the reference interpreter, vector by vector. */
function compare(b: Built, actual: Uint8Array): { mismatchedVectors: number; firstMismatches: Mismatch[]; firstBad: number; note: string } {
  const ref = b.c.reference ?? b.c.graph;
  const inName = b.c.graph.inputs[0].name;
  const firstMismatches: Mismatch[] = [];
  let mismatchedVectors = 0, at = 0, firstBad = -1, note = '';
  b.c.inputs.forEach((x, v) => {
    const outs = run(ref, { [inName]: x });
    let bad = false;
    for (const o of b.c.graph.outputs) {
      const exp = tensorBytes(outs.get(o)!);
      for (let i = 0; i < exp.length; i++) {
        const a = at + i < actual.length ? actual[at + i] : -1;
        if (a !== exp[i]) {
          bad = true;
          if (firstMismatches.length < 10) firstMismatches.push({ vector: v, output: o, byte: i, expected: exp[i], actual: a });
        }
      }
      at += exp.length;
    }
    if (bad) mismatchedVectors++;
    if (bad && firstBad < 0) firstBad = v;
  });
  if (actual.length !== at) {
    note = `; output file has ${actual.length} bytes, expected ${at}`;
    if (mismatchedVectors === 0) { mismatchedVectors = b.c.inputs.length; firstBad = 0; }
  }
  return { mismatchedVectors, firstMismatches, firstBad, note };
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
function firstDifferingLayer(b: Built, target: Target, dir: string, vector: number, timeoutMs: number): LayerDiff | undefined {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of emitC(b.c.graph, target, { prefix: b.c.prefix, kernels: b.c.kernels })) writeFileSync(join(dir, name), text);
  const one: Built = { ...b, inPath: join(dir, `${b.p}.in.bin`), outPath: join(dir, `${b.p}.out.bin`) };
  writeFileSync(one.inPath, tensorBytes(b.c.inputs[vector]));
  const debugPath = join(dir, 'layers.bin');
  buildAndRun(target, dir, [one], [`${b.p}.c`], timeoutMs, debugPath);
  const dump = new Uint8Array(readFileSync(debugPath));
  const ref = b.c.reference ?? b.c.graph;
  const values = run(ref, { [b.c.graph.inputs[0].name]: b.c.inputs[vector] }, { keepAll: true });
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
    const packed = b.c.graph.nodes.some((n) => n.outputs[0] === d.tensor && n.domain === 'bnnc' && (n.op === 'Threshold' || n.op === 'BinaryMaxPool'));
    const e = elements(expected, exp.dtype, packed), a = elements(actual, exp.dtype, packed);
    const diff = e.map((x, i) => i).filter((i) => !Object.is(e[i], a[i]));
    return {
      layer: d.layer, fn: d.fn, node: d.node, tensor: d.tensor, vector, dtype: exp.dtype, elements: e.length, differing: diff.length,
      positions: diff.slice(0, 8).map((i) => ({ index: i, expected: e[i], actual: a[i] })),
    };
  }
  return undefined;
}

/** The ts target: emit the module, transpile it with the TypeScript compiler, and run it in Node on every vector. */
function verifyTs(c: VerifyCase, target: Target, dir: string, timeoutMs: number): VerifyReport {
  const files = emitC(c.graph, target, { prefix: c.prefix });
  const [name, text] = [...files][0];
  const stem = name.replace(/\.ts$/, '');
  writeFileSync(join(dir, name), text);
  const js = ts.transpileModule(text, { compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ES2020 } }).outputText;
  writeFileSync(join(dir, `${stem}.mjs`), js);
  const inPath = join(dir, `${stem}.in.bin`), outPath = join(dir, `${stem}.out.bin`);
  writeFileSync(inPath, concat(c.inputs.map(tensorBytes)));
  const t = c.graph.inputs[0].type;
  const ctor = { uint8: 'Uint8Array', int8: 'Int8Array', int16: 'Int16Array', int32: 'Int32Array', float32: 'Float32Array' }[t.dtype as string];
  if (!ctor) throw new Error(`verify: ${t.dtype} inputs are not supported by the ts runner`);
  writeFileSync(join(dir, `${stem}.runner.mjs`), [
    `import { readFileSync, writeFileSync } from 'node:fs';`,
    `import { run, OUTPUT_NAMES } from './${stem}.mjs';`,
    `const buf = readFileSync(${JSON.stringify(inPath)}), per = ${c.inputs[0] ? tensorBytes(c.inputs[0]).length : 1};`,
    'const parts = [];',
    'for (let at = 0; at + per <= buf.length; at += per) {',
    `  const out = run(new ${ctor}(buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + per)));`,
    '  for (const o of OUTPUT_NAMES) parts.push(Buffer.from(out[o].buffer, out[o].byteOffset, out[o].byteLength));',
    '}',
    `writeFileSync(${JSON.stringify(outPath)}, Buffer.concat(parts));`,
  ].join('\n'));
  exec(process.execPath, [`${stem}.runner.mjs`], { cwd: dir, timeoutMs, what: `running ${stem}.mjs in Node` });
  const b: Built = { c, model: undefined as unknown as CModel, p: stem, inPath, outPath };
  const r = compare(b, new Uint8Array(readFileSync(outPath)));
  return {
    target: target.name, prefix: stem, ran: true, vectors: c.inputs.length, mismatchedVectors: r.mismatchedVectors, firstMismatches: r.firstMismatches,
    modelSizes: { text: Buffer.byteLength(text), data: 0, bss: 0 }, arenaBytes: 0,
    constBytes: [...c.graph.initializers.values()].reduce((s, x) => s + x.data.byteLength, 0),
    note: `ran ${stem}.ts (transpiled to JavaScript) in Node ${process.version}${r.note}`,
  };
}

/** ROM and RAM of the test image: the emulator's own ROM, or the two halves of its one RAM region. */
export function memoryMap(e: Emulator): Record<string, string> {
  const hex = (v: number) => `0x${v.toString(16)}`;
  const half = e.ram.length / 2;
  const rom = e.rom ?? { origin: e.ram.origin, length: half };
  const ram = e.rom ? e.ram : { origin: e.ram.origin + half, length: half };
  return { romOrigin: hex(rom.origin), romLength: hex(rom.length), ramOrigin: hex(ram.origin), ramLength: hex(ram.length) };
}

/** Compiles the emitted model with the target's compiler and warnings as errors; returns its sizes. */
export function compileCheck(lowered: Graph, target: Target, opts: { prefix?: string; workDir?: string } = {}): Sizes {
  const dir = opts.workDir ? resolve(opts.workDir) : mkdtempSync(join(tmpdir(), 'bnnc-cc-'));
  mkdirSync(dir, { recursive: true });
  try {
    const files = emitC(lowered, target, { prefix: opts.prefix });
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    const c = [...files.keys()].find((f) => f.endsWith('.c'))!;
    exec(target.compiler.cc, [...cflags(target), '-c', c, '-o', 'model.o'], { cwd: dir, what: `compiling ${c} for ${target.name}` });
    return sectionSizes(target, 'model.o', dir);
  } finally {
    if (!opts.workDir) rmSync(dir, { recursive: true, force: true });
  }
}
