// verify: emit the C plus a test-runner main, build it with the target's compiler, run it (natively with
// sanitizers, or under QEMU via semihosting), and compare every output byte with the reference interpreter.
// Targets without an emulator are compiled and sized only, and the report says the code was not run.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run } from '../interp/run.js';
import type { Graph, Tensor } from '../ir/types.js';
import { buildCModel } from './c-data.js';
import { emitC, render, templateData, TEMPLATES_DIR } from './emit.js';
import type { Emulator, Target } from './target.js';
import { cflags, compileObject, emulatorArgs, exec, sectionSizes, type Sizes } from './toolchain.js';

export interface VerifyOptions {
  readonly prefix?: string;
  /** Keep the build here (created if missing); default: a fresh temporary directory, removed afterwards. */
  readonly workDir?: string;
  /** Per program run; default 120 s. */
  readonly timeoutMs?: number;
}

export interface Mismatch { vector: number; output: string; byte: number; expected: number; actual: number }

export interface VerifyReport {
  target: string;
  /** False when the target has no runner here: compiled and sized only. */
  ran: boolean;
  vectors: number;
  /** Vectors with at least one differing output byte. */
  mismatchedVectors: number;
  /** The first differing bytes (at most 10). */
  firstMismatches: Mismatch[];
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
  const prefix = opts.prefix ?? 'bnn_model';
  const dir = opts.workDir ? resolve(opts.workDir) : mkdtempSync(join(tmpdir(), 'bnnc-verify-'));
  mkdirSync(dir, { recursive: true });
  const timeoutMs = opts.timeoutMs ?? 120_000;
  try {
    const files = emitC(lowered, target, { prefix });
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    const model = buildCModel(lowered, target, prefix);
    const p = model.prefix;
    compileObject(target, `${p}.c`, `${p}.o`, dir);
    const modelSizes = sectionSizes(target, `${p}.o`, dir);
    const base = { target: target.name, vectors: inputs.length, mismatchedVectors: 0, firstMismatches: [], modelSizes, arenaBytes: model.arenaBytes, constBytes: model.constBytes };
    if (target.runner === 'none') {
      return { ...base, ran: false, note: `compiled with ${target.compiler.cc} and sized only: the code was NOT run (no emulator for ${target.core}). ${target.note ?? ''}`.trim() };
    }

    const inPath = join(dir, 'inputs.bin'), outPath = join(dir, 'outputs.bin');
    const inName = lowered.inputs[0].name;
    writeFileSync(inPath, concat(inputs.map(tensorBytes)));
    const data = { ...templateData(model, target), inPath, outPath, inLen: Buffer.byteLength(inPath), outLen: Buffer.byteLength(outPath) };
    let imageSizes: Sizes | undefined;
    let note: string;
    if (target.runner === 'host') {
      writeFileSync(join(dir, 'runner.c'), render('runner', 'runner-host.c.hbs', data));
      const san = target.compiler.sanitize ?? [];
      exec(target.compiler.cc, [...cflags(target, san), `${p}.c`, 'runner.c', '-o', 'runner', ...san], { cwd: dir, what: `building the host runner` });
      exec('./runner', [inPath, outPath], { cwd: dir, timeoutMs, what: 'running the host runner' });
      note = `ran natively (${san.length ? san.join(' ') : 'no sanitizers'})`;
    } else {
      const riscv = target.runner === 'semihost-riscv';
      const emu = target.emulator;
      if (!emu) throw new Error(`target ${target.name}: runner ${target.runner} needs an emulator`);
      writeFileSync(join(dir, 'runner.c'), render('runner', 'runner-semihost.c.hbs', data));
      writeFileSync(join(dir, 'startup.S'), readFileSync(`${TEMPLATES_DIR}runner/${riscv ? 'startup-riscv.S' : 'startup-arm.S'}`, 'utf8'));
      writeFileSync(join(dir, 'link.ld'), render('runner', 'link.ld.hbs', { entry: riscv ? '_start' : 'reset_handler', ...memoryMap(emu) }));
      exec(target.compiler.cc, [...cflags(target), ...target.compiler.linkFlags, '-T', 'link.ld', 'startup.S', `${p}.c`, 'runner.c', '-o', 'image.elf', ...target.compiler.libs],
        { cwd: dir, what: `linking the ${target.name} test image` });
      imageSizes = sectionSizes(target, 'image.elf', dir);
      const { cmd, args } = emulatorArgs(target, 'image.elf');
      try {
        exec(cmd, args, { cwd: dir, timeoutMs, what: `${cmd} -M ${emu.machine} running the ${target.name} test image` });
      } catch (e) {
        const m = (e as Error).message;
        throw new Error(/failed \(exit 99\)/.test(m) ? `${m}\n(exit 99: the guest took a fault or trap)` : m);
      }
      note = `ran under ${cmd} -M ${emu.machine} -cpu ${emu.cpu} (semihosting)`;
    }

    const actual = new Uint8Array(readFileSync(outPath));
    const firstMismatches: Mismatch[] = [];
    let mismatchedVectors = 0, at = 0;
    inputs.forEach((x, v) => {
      const outs = run(lowered, { [inName]: x });
      let bad = false;
      for (const o of lowered.outputs) {
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
    });
    if (actual.length !== at) note += `; output file has ${actual.length} bytes, expected ${at}`;
    if (actual.length !== at && mismatchedVectors === 0) mismatchedVectors = inputs.length;
    return { ...base, ran: true, mismatchedVectors, firstMismatches, imageSizes, note };
  } finally {
    if (!opts.workDir) rmSync(dir, { recursive: true, force: true });
  }
}

/** ROM and RAM of the test image: the emulator's own ROM, or the two halves of its one RAM region. */
function memoryMap(e: Emulator): Record<string, string> {
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
    compileObject(target, c, 'model.o', dir);
    return sectionSizes(target, 'model.o', dir);
  } finally {
    if (!opts.workDir) rmSync(dir, { recursive: true, force: true });
  }
}
