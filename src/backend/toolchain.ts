// Toolchain and emulator runners: compile with the target's compiler, read section sizes, run a test image
// natively or under QEMU with semihosting. Every run has a timeout; a hanging guest fails with a message.
import { execFileSync } from 'node:child_process';
import type { Target } from './target.js';

export interface Sizes { text: number; data: number; bss: number }

export interface ExecResult { stdout: string; stderr: string }

/** Runs a command; throws an Error naming the command, its exit status and its output on failure or timeout. */
export function exec(cmd: string, args: readonly string[], opts: { cwd?: string; timeoutMs?: number; what?: string } = {}): ExecResult {
  const timeout = opts.timeoutMs ?? 60_000;
  try {
    const stdout = execFileSync(cmd, args, { cwd: opts.cwd, timeout, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    return { stdout, stderr: '' };
  } catch (e) {
    const err = e as { code?: string; signal?: string; status?: number; stdout?: string; stderr?: string };
    const what = opts.what ?? cmd;
    if (err.code === 'ENOENT') throw new Error(`${what}: '${cmd}' is not installed or not on PATH`);
    if (err.code === 'ETIMEDOUT' || err.signal === 'SIGTERM') {
      throw new Error(`${what}: timed out after ${timeout / 1000} s (the program hung; killed)\n${err.stderr ?? ''}`);
    }
    throw new Error(`${what} failed (exit ${err.status ?? err.signal}): ${cmd} ${args.join(' ')}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** The compile flags for a target: its flags, warnings as errors, and extras. */
export function cflags(t: Target, extra: readonly string[] = []): string[] {
  return [...t.compiler.flags, ...t.compiler.warnFlags, ...extra];
}

/** Compiles one C file to an object file. */
export function compileObject(t: Target, src: string, obj: string, cwd: string, extra: readonly string[] = []): void {
  exec(t.compiler.cc, [...cflags(t, extra), '-c', src, '-o', obj], { cwd, what: `compiling ${src} for ${t.name}` });
}

/** Berkeley-format section sizes of an object or image (text includes read-only data). */
export function sectionSizes(t: Target, file: string, cwd: string): Sizes {
  const out = exec(t.compiler.size, [file], { cwd, what: `${t.compiler.size}` }).stdout.trim().split('\n');
  const [text, data, bss] = out[out.length - 1].trim().split(/\s+/).map(Number);
  return { text, data, bss };
}

/** The QEMU command line for a semihosting test image. */
export function emulatorArgs(t: Target, image: string): { cmd: string; args: string[] } {
  const e = t.emulator;
  if (!e) throw new Error(`target ${t.name} has no emulator`);
  return { cmd: e.command, args: ['-M', e.machine, '-cpu', e.cpu, ...e.args, '-kernel', image] };
}
