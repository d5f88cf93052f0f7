// Bare-metal test images, in one place for verify's runner, bench's image and the firmware example: bnnc's
// startup code and link script for the target's emulator, the sources built and linked into one ELF, and a
// run under QEMU with semihosting. The target's `emulator` says which startup code and entry symbol, which
// machine and cpu, and where ROM and RAM are; nothing here knows a core by name.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render, TEMPLATES_DIR } from './emit.js';
import type { Emulator, Target } from './target.js';
import { cc, cflags, timedOut, ToolchainError } from './toolchain.js';

/** ROM and RAM of the test image: the emulator's own ROM, or the two halves of its one RAM region. */
export function memoryMap(e: Emulator): Record<string, string> {
  const hex = (v: number) => `0x${v.toString(16)}`;
  const half = e.ram.length / 2;
  const rom = e.rom ?? { origin: e.ram.origin, length: half };
  const ram = e.rom ? e.ram : { origin: e.ram.origin + half, length: half };
  return { romOrigin: hex(rom.origin), romLength: hex(rom.length), ramOrigin: hex(ram.origin), ramLength: hex(ram.length) };
}

/** True when the target's code runs here as a semihosted image under its emulator. */
export function runsSemihosted(t: Target): boolean {
  return t.runner === 'semihost' && t.emulator !== null;
}

/** The target's emulator, or a ToolchainError saying that `what` needs one. */
export function semihostEmulator(t: Target, what: string): Emulator {
  if (!runsSemihosted(t) || !t.emulator) throw new ToolchainError(`${what}: target ${t.name} has no emulator to run a test image on`, what);
  return t.emulator;
}

export interface ImageOptions {
  /** Files in `dir` (C, assembly, objects) linked after the startup code, in order. */
  readonly sources: readonly string[];
  /** Compiler flags after the target's own and its warnings (defines, include folders). */
  readonly flags?: readonly string[];
  /** The ELF to write, in `dir`. */
  readonly image: string;
  /** Names the step in messages. */
  readonly what: string;
  /** The step's limit; default derived from the sources (toolchain.ts). */
  readonly timeoutMs?: number;
}

/** Writes the startup code, the emulator's support files and the link script into `dir` and builds `sources` into one semihosted image there. */
export function buildImage(t: Target, dir: string, o: ImageOptions): void {
  const emu = semihostEmulator(t, o.what);
  writeFileSync(join(dir, 'startup.S'), readFileSync(`${TEMPLATES_DIR}runner/${emu.startup}`, 'utf8'));
  writeFileSync(join(dir, 'link.ld'), render('runner', 'link.ld.hbs', { entry: emu.entry, ...memoryMap(emu) }));
  const support = emu.support ?? [];
  for (const f of support) writeFileSync(join(dir, f), readFileSync(`${TEMPLATES_DIR}runner/${f}`, 'utf8'));
  cc(t, [...cflags(t, o.flags), ...t.compiler.linkFlags, '-T', 'link.ld', 'startup.S', ...support, ...o.sources, '-o', o.image, ...t.compiler.libs], dir, o.what, o.timeoutMs);
}

/** The emulator command line for an image: [command, ...arguments]. */
export function emulatorCommand(t: Target, image: string): string[] {
  const e = semihostEmulator(t, `running ${image}`);
  return [e.command, '-M', e.machine, '-cpu', e.cpu, ...e.args, '-kernel', image];
}

export interface GuestRun {
  /** The guest's exit status (SYS_EXIT_EXTENDED's code). */
  exitCode: number;
  /** What the guest printed through semihosting (QEMU writes it to its stderr). */
  console: string;
}

/** Runs an image under the emulator; a missing emulator or a time-out is a ToolchainError naming the step. */
export function runImage(t: Target, dir: string, image: string, o: { what: string; timeoutMs: number }): GuestRun {
  const [cmd, ...args] = emulatorCommand(t, image);
  const r = spawnSync(cmd, args, { cwd: dir, timeout: o.timeoutMs, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') throw new ToolchainError(`${o.what}: '${cmd}' is not installed or not on PATH`, o.what);
  if (code === 'ETIMEDOUT' || r.signal) throw timedOut(o.what, o.timeoutMs, true, r.stderr);
  if (r.error) throw new ToolchainError(`${o.what}: ${cmd}: ${r.error.message}`, o.what);
  return { exitCode: r.status ?? -1, console: r.stderr };
}

/** A guest that ended with a non-zero status, as an error naming the step (99: the startup code's fault handler). */
export function guestFailed(what: string, run: GuestRun): ToolchainError {
  const fault = run.exitCode === 99 ? '\n(exit 99: the guest took a fault or trap)' : '';
  return new ToolchainError(`${what} failed (exit ${run.exitCode})\n${run.console}${fault}`, what);
}
