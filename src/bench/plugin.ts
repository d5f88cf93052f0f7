// Exact instruction counts for `bnnc bench`: builds our QEMU TCG plugin (plugin/insn_count.c) with the host
// gcc, runs a guest under it, and returns the count at every execution of the marker function. The method
// and its exactness argument are in docs/benchmarks-method.md.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readSync, closeSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileLimit, exec, timedOut, ToolchainError } from '../backend/toolchain.js';

/** The same folder from src/bench/ and from dist/bench/ (the C source is not compiled by tsc). */
export const PLUGIN_SOURCE_DIR = fileURLToPath(new URL('../../src/bench/plugin/', import.meta.url));
/** QEMU's exit status when the plugin stopped the guest at its instruction limit. */
export const LIMIT_EXIT_CODE = 124;
/** The marker function generated code calls; runCounted looks it up when given only the ELF. */
export const MARK_SYMBOL = 'bnnc_mark';

const SOURCES = ['insn_count.c', 'qemu-plugin-api.h'];
const CFLAGS = ['-shared', '-fPIC', '-O2', '-fvisibility=hidden', '-std=c99', '-Wall', '-Wextra'];

/**
 * Compiles the plugin into `<cacheDir>/insn_count-<hash>.so` (default cacheDir: the OS temp folder) and
 * returns its path; a build whose sources and flags are unchanged is reused. Safe to call concurrently.
 */
export function buildPlugin(opts: { cc?: string; cacheDir?: string } = {}): string {
  const cc = opts.cc ?? 'gcc';
  const hash = createHash('sha256');
  for (const f of SOURCES) hash.update(f).update(readFileSync(join(PLUGIN_SOURCE_DIR, f)));
  hash.update(cc).update(CFLAGS.join(' '));
  const dir = opts.cacheDir ?? join(tmpdir(), 'bnnc-plugin');
  const so = join(dir, `insn_count-${hash.digest('hex').slice(0, 16)}.so`);
  if (existsSync(so)) return so;
  mkdirSync(dir, { recursive: true });
  const tmp = `${so}.${process.pid}.tmp`;
  const src = join(PLUGIN_SOURCE_DIR, 'insn_count.c');
  const timeout = compileLimit([src]);
  const r = spawnSync(cc, [...CFLAGS, '-I', PLUGIN_SOURCE_DIR, '-o', tmp, src], { encoding: 'utf8', timeout });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
    rmSync(tmp, { force: true });
    throw timedOut(`building the instruction-count plugin with '${cc}'`, timeout, false);
  }
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    const why = r.error ? r.error.message : `exit ${r.status}\n${r.stdout}${r.stderr}`;
    throw new ToolchainError(`building the instruction-count plugin with '${cc}' failed: ${why}`, 'building the instruction-count plugin');
  }
  renameSync(tmp, so); // atomic: a concurrent builder either sees nothing or the finished file
  return so;
}

export interface CountedRunOptions {
  /** QEMU command and arguments, complete (machine, -kernel image, semihosting), without -plugin. */
  qemu: readonly string[];
  /** The guest image; used to find MARK_SYMBOL when markSymbolAddr is not given. */
  elf?: string;
  /** Address of the marker's first instruction (Thumb's bit 0 may be set). */
  markSymbolAddr?: number;
  /** Stop the guest (exit code LIMIT_EXIT_CODE) once this many instructions ran; 0 or absent: no limit. */
  limit?: number;
  /** Wall-clock backstop; a guest still running then is killed and runCounted throws. Default 60 s. */
  timeoutMs?: number;
  /** Names the step in messages (default: the QEMU command line). */
  what?: string;
  /** Also count executions per instruction address (returned as pcCounts); slower by a second add per instruction. */
  pcs?: boolean;
  /** Plugin path (default: buildPlugin()). */
  plugin?: string;
}

export interface CountedRun {
  exitCode: number;
  /** marks[i]: instructions executed before the i-th execution of the marker's first instruction. */
  marks: number[];
  /** Instructions executed in all. */
  total: number;
  /** True when the limit stopped the guest (then exitCode is LIMIT_EXIT_CODE). */
  limitHit: boolean;
  /** With `pcs`: executions of each instruction address (only addresses that ran), ascending. */
  pcCounts?: Map<number, number>;
  stdout: string;
  stderr: string;
}

/** Runs a guest under the plugin and returns its counts; throws when QEMU hangs or the plugin wrote nothing. */
export function runCounted(o: CountedRunOptions): CountedRun {
  const [cmd, ...args] = o.qemu;
  const timeout = o.timeoutMs ?? 60_000;
  const mark = o.markSymbolAddr ?? (o.elf !== undefined ? symbolAddress(o.elf, MARK_SYMBOL) : undefined);
  if (mark !== undefined && !(Number.isSafeInteger(mark) && mark >= 0)) throw new Error(`bad marker address ${mark}`);
  if (o.limit !== undefined && !(Number.isSafeInteger(o.limit) && o.limit >= 0)) throw new Error(`bad instruction limit ${o.limit}`);
  const dir = mkdtempSync(join(tmpdir(), 'bnnc-count-'));
  try {
    const out = join(dir, 'counts.txt');
    const pcsOut = join(dir, 'pcs.txt');
    const popts = [o.plugin ?? buildPlugin(), `out=${out}`];
    if (mark !== undefined) popts.push(`mark=0x${mark.toString(16)}`);
    if (o.limit) popts.push(`limit=${o.limit}`);
    if (o.pcs) popts.push(`pcs=${pcsOut}`);
    const r = spawnSync(cmd, [...args, '-plugin', popts.map((p) => p.replaceAll(',', ',,')).join(',')], {
      encoding: 'utf8', timeout, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const what = o.what ?? `${cmd} ${args.join(' ')}`;
    const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ETIMEDOUT') throw timedOut(`counted run (${what})`, timeout, true, r.stderr);
    if (code === 'ENOENT') throw new ToolchainError(`counted run (${what}): '${cmd}' is not installed or not on PATH`, what);
    if (r.error) throw new ToolchainError(`counted run could not start: ${what}: ${r.error.message}`, what);
    if (!existsSync(out)) {
      throw new ToolchainError(`counted run wrote no counts (exit ${r.status ?? r.signal}): ${what}\n${r.stdout}${r.stderr}`, what);
    }
    const rep = parseReport(readFileSync(out, 'utf8'));
    let stderr = r.stderr;
    if (rep.total !== rep.tbTotal && !rep.limitHit) {
      // A block was left part-way (a fault mid-block): the exact count stands, but say so.
      stderr += `bnnc: ${rep.tbTotal - rep.total} instructions skipped by blocks left early (guest fault?)\n`;
    }
    const pcCounts = o.pcs ? parsePcCounts(readFileSync(pcsOut, 'utf8')) : undefined;
    return { exitCode: r.status ?? -1, marks: rep.marks, total: rep.total, limitHit: rep.limitHit, pcCounts, stdout: r.stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseReport(text: string): { marks: number[]; total: number; tbTotal: number; limitHit: boolean } {
  const marks: number[] = [];
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [key, value] = line.split(' ');
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new ToolchainError(`instruction-count report: bad line '${line}'`, 'reading the instruction counts');
    if (key === 'mark') marks.push(n);
    else fields.set(key, n);
  }
  const total = fields.get('total');
  if (total === undefined) throw new ToolchainError('instruction-count report: no total', 'reading the instruction counts');
  return { marks, total, tbTotal: fields.get('tb_total') ?? total, limitHit: fields.get('limit_hit') === 1 };
}

function parsePcCounts(text: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [pc, n] = line.split(' ');
    counts.set(parseInt(pc, 16), Number(n));
  }
  return counts;
}

/** The nm that reads this ELF's machine: Arm, RISC-V, Xtensa (the lx106 toolchain's), or the host's own. */
export function nmFor(elf: string): string {
  const head = Buffer.alloc(20);
  const fd = openSync(elf, 'r');
  try {
    readSync(fd, head, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (head.readUInt32BE(0) !== 0x7f454c46) throw new ToolchainError(`${elf} is not an ELF file`, `reading ${elf}`);
  const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
  return machine === 40 ? 'arm-none-eabi-nm' : machine === 243 ? 'riscv64-unknown-elf-nm' : machine === 94 ? 'xtensa-lx106-elf-nm' : 'nm';
}

/** The address of a defined symbol in an ELF (as nm prints it: Thumb functions may carry bit 0). */
export function symbolAddress(elf: string, symbol: string, nm: string = nmFor(elf)): number {
  const out = exec(nm, ['--defined-only', elf], { what: `${nm} ${elf}` }).stdout;
  for (const line of out.split('\n')) {
    const [addr, , name] = line.trim().split(/\s+/);
    if (name === symbol) return parseInt(addr, 16);
  }
  throw new Error(`symbol '${symbol}' is not defined in ${elf}`);
}
