// The model's flash and RAM for the fit check: the emitted C compiled with the target's cross compiler
// (section sizes; -fstack-usage and the call graph for the worst stack chain from <prefix>_run), or, without
// that compiler, the constant bytes and the arena with the stack bound asserted on every target.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../ir/types.js';
import { buildCModel, CTYPE_BYTES } from './c-data.js';
import { emitC } from './emit.js';
import { selectKernels, type KernelVariant } from './kernels.js';
import { parseCallGraph, STACK_BOUND_BYTES, worstChain, type StackFigure } from './stack.js';
import type { Target } from './target.js';
import { cflags, exec, sectionSizes } from './toolchain.js';

export { STACK_BOUND_BYTES } from './stack.js';

/** The model's memory: flash = constants + code, RAM = static data (arena, other model data) + stack. */
export interface Footprint {
  readonly flash: { readonly constants: number; readonly code: number };
  readonly ram: { readonly staticData: number; readonly stack: number };
  /** How the figures were obtained (a cross-compiled object, or the constant bytes only), for the report. */
  readonly notes: readonly string[];
}

export interface FootprintOptions {
  readonly prefix?: string;
  readonly kernels?: KernelVariant;
}

export function measureFootprint(lowered: Graph, target: Target, opts: FootprintOptions = {}): Footprint {
  const prefix = opts.prefix ?? 'bnn_model';
  const model = selectKernels(buildCModel(lowered, target, prefix), target, opts.kernels);
  const constants = model.consts.reduce((s, c) => s + c.count * (CTYPE_BYTES[c.ctype] ?? 4), 0);
  const m = compileMeasured(lowered, target, prefix, opts.kernels);
  if (!m) {
    return {
      flash: { constants, code: 0 },
      ram: { staticData: model.arenaBytes, stack: STACK_BOUND_BYTES },
      notes: [`${target.compiler.cc} is not installed: flash counts the constants only (no code), RAM the arena plus the ${STACK_BOUND_BYTES}-byte stack bound`],
    };
  }
  return {
    flash: { constants, code: m.sizes.text + m.sizes.data - constants },
    ram: { staticData: m.sizes.data + m.sizes.bss, stack: m.stack.bytes },
    notes: [`flash and RAM from ${target.compiler.cc} (${target.name}); stack: the worst chain from ${m.chain.join(' → ')}, the caller's frame not included`, ...(target.note ? [target.note] : [])],
  };
}

/**
 * The worst stack depth of `<prefix>_run` and `<prefix>_run_ctx` on the target (the figure the header states
 * as `<PREFIX>_STACK_BYTES`), or undefined when the target's compiler is not installed. It does not depend on
 * what the header states, labels or self-test vectors: the run functions' code is the same.
 */
export function measureStack(lowered: Graph, target: Target, opts: FootprintOptions = {}): StackFigure | undefined {
  return compileMeasured(lowered, target, opts.prefix ?? 'bnn_model', opts.kernels)?.stack;
}

/** The model's object compiled with -fstack-usage and its call graph: section sizes and the worst run chain. */
function compileMeasured(lowered: Graph, target: Target, prefix: string, kernels: KernelVariant | undefined):
  { sizes: { text: number; data: number; bss: number }; stack: StackFigure; chain: string[] } | undefined {
  if (target.language !== 'c' || !installed(target.compiler.cc)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bnnc-fit-'));
  try {
    const files = emitC(lowered, target, { prefix, kernels });
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    const p = buildCModel(lowered, target, prefix).prefix;
    const c = `${p}.c`;
    // a failing or hanging compile is the toolchain's error (exit 3), not a reason to guess
    exec(target.compiler.cc, [...cflags(target, ['-fstack-usage', '-fcallgraph-info=su']), '-c', c, '-o', `${p}.o`], { cwd: dir, what: `compiling ${c} for ${target.name}` });
    const sizes = sectionSizes(target, `${p}.o`, dir);
    const graph = parseCallGraph(readFileSync(join(dir, `${p}.ci`), 'utf8'));
    const worst = [`${p}_run`, `${p}_run_ctx`].map((e) => worstChain(graph, e)).reduce((a, b) => (b.bytes > a.bytes ? b : a));
    return { sizes, chain: worst.chain, stack: { bytes: worst.bytes, how: `${target.compiler.cc} -fstack-usage for ${target.name}` } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether a program can be started (ENOENT: not installed or not on PATH). */
function installed(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch (e) {
    return (e as { code?: string }).code !== 'ENOENT';
  }
}
