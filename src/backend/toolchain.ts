// Toolchain runners: compile with the target's compiler, read section sizes, run a program. Every step has a
// time limit: the caller's (`--timeout`, which then covers every step) or a generous default derived from the
// step's work, so that a slow or loaded machine does not trip it. A step that is missing, fails or times out
// is a ToolchainError naming the step (cli.ts: exit 3), never a CompileError (the input is not at fault).
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Target } from './target.js';

export interface Sizes { text: number; data: number; bss: number }

export interface ExecResult { stdout: string; stderr: string }

/** A toolchain or emulator step that could not run, failed or timed out; `step` says which. */
export class ToolchainError extends Error {
  override readonly name = 'ToolchainError';
  constructor(message: string, readonly step: string) {
    super(message);
  }
}

/**
 * Default limits, each several times what the step takes on a quiet machine: a compile or link is a base
 * plus a share per source file and per KB of source (14 files with ASan+UBSan in one gcc call: 25 s quiet;
 * a model's C: about 1 s per 100 KB at -O2); a program run is a base plus a share per input vector.
 */
export const DEFAULT_LIMITS = {
  compileBaseMs: 60_000,
  compilePerFileMs: 20_000,
  compilePerKbMs: 200,
  toolMs: 60_000,
  runBaseMs: 120_000,
  runPerVectorMs: 500,
} as const;

const SOURCE = /\.(c|S|s|o)$/;

/** The default limit of a compiler or linker run over these arguments (their source files, read in `cwd`). */
export function compileLimit(args: readonly string[], cwd = '.'): number {
  let files = 0, bytes = 0;
  for (const a of args) {
    if (!SOURCE.test(a) || a.startsWith('-')) continue;
    const p = resolve(cwd, a);
    if (!existsSync(p)) continue;
    files++;
    bytes += statSync(p).size;
  }
  const L = DEFAULT_LIMITS;
  return L.compileBaseMs + files * L.compilePerFileMs + Math.ceil(bytes / 1024) * L.compilePerKbMs;
}

/** The default limit of a program run over `vectors` input vectors. */
export function runLimit(vectors: number): number {
  return DEFAULT_LIMITS.runBaseMs + vectors * DEFAULT_LIMITS.runPerVectorMs;
}

export interface StepOptions {
  cwd?: string;
  /** The step's limit; default DEFAULT_LIMITS.toolMs. */
  timeoutMs?: number;
  /** Names the step in messages: "compiling m.c for cortex-m4". */
  what?: string;
  /** The step runs the user's program (a time-out may be a hang), rather than a tool. */
  program?: boolean;
  maxBuffer?: number;
}

/** Runs a command; throws a ToolchainError naming the step, its exit status and output on failure or time-out. */
export function exec(cmd: string, args: readonly string[], opts: StepOptions = {}): ExecResult {
  const timeout = opts.timeoutMs ?? DEFAULT_LIMITS.toolMs;
  const what = opts.what ?? cmd;
  try {
    const stdout = execFileSync(cmd, args, { cwd: opts.cwd, timeout, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: opts.maxBuffer ?? 64 << 20 });
    return { stdout, stderr: '' };
  } catch (e) {
    const err = e as { code?: string; signal?: string; status?: number; stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') throw new ToolchainError(`${what}: '${cmd}' is not installed or not on PATH`, what);
    if (err.code === 'ETIMEDOUT' || (err.signal === 'SIGTERM' && err.status === null)) throw timedOut(what, timeout, opts.program === true, err.stderr);
    throw new ToolchainError(`${what} failed (exit ${err.status ?? err.signal}): ${cmd} ${args.join(' ')}\n${err.stdout ?? ''}${err.stderr ?? ''}`, what);
  }
}

/** The time-out message: which step, after how long, and what to do about it. */
export function timedOut(what: string, timeoutMs: number, program: boolean, output = ''): ToolchainError {
  const why = program ? 'the program hung, or the machine is busy: raise --timeout if it is' : 'machine busy? raise --timeout';
  return new ToolchainError(`${what} timed out after ${timeoutMs / 1000} s and was killed (${why})${output ? `\n${output}` : ''}`, what);
}

/** The compile flags for a target: its flags, warnings as errors, and extras. */
export function cflags(t: Target, extra: readonly string[] = []): string[] {
  return [...t.compiler.flags, ...t.compiler.warnFlags, ...extra];
}

/** Runs the target's compiler with `args` in `cwd`; the limit: `timeoutMs`, else derived from the sources. */
export function cc(t: Target, args: readonly string[], cwd: string, what: string, timeoutMs?: number): void {
  exec(t.compiler.cc, args, { cwd, what, timeoutMs: timeoutMs ?? compileLimit(args, cwd) });
}

/** The target's binutils program `tool` (nm, objdump), found beside its `size`. */
export function binutil(t: Target, tool: string): string {
  return t.compiler.size.replace(/size$/, tool);
}

/** Berkeley-format section sizes of an object or image (text includes read-only data). */
export function sectionSizes(t: Target, file: string, cwd: string, timeoutMs?: number): Sizes {
  const out = exec(t.compiler.size, [file], { cwd, timeoutMs, what: `${t.compiler.size} ${file}` }).stdout.trim().split('\n');
  const [text, data, bss] = out[out.length - 1].trim().split(/\s+/).map(Number);
  return { text, data, bss };
}
