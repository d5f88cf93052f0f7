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
import { parseCallGraph, worstChain } from './stack.js';
import type { Target } from './target.js';
import { cflags, exec, sectionSizes } from './toolchain.js';

/** The worst stack chain allowed on every target by test/backend/static-analysis.test.ts (docs/generated-code-checks.md). */
export const STACK_BOUND_BYTES = 1280;

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
  const dir = mkdtempSync(join(tmpdir(), 'bnnc-fit-'));
  try {
    const files = emitC(lowered, target, { prefix, kernels: opts.kernels });
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    const c = `${model.prefix}.c`;
    if (!installed(target.compiler.cc)) {
      return {
        flash: { constants, code: 0 },
        ram: { staticData: model.arenaBytes, stack: STACK_BOUND_BYTES },
        notes: [`${target.compiler.cc} is not installed: flash counts the constants only (no code), RAM the arena plus the ${STACK_BOUND_BYTES}-byte stack bound`],
      };
    }
    // a failing or hanging compile is the toolchain's error (exit 3), not a reason to guess
    exec(target.compiler.cc, [...cflags(target, ['-fstack-usage', '-fcallgraph-info=su']), '-c', c, '-o', `${model.prefix}.o`], { cwd: dir, what: `compiling ${c} for ${target.name}` });
    const sizes = sectionSizes(target, `${model.prefix}.o`, dir);
    const chain = worstChain(parseCallGraph(readFileSync(join(dir, `${model.prefix}.ci`), 'utf8')), `${model.prefix}_run`);
    return {
      flash: { constants, code: sizes.text + sizes.data - constants },
      ram: { staticData: sizes.data + sizes.bss, stack: chain.bytes },
      notes: [`flash and RAM from ${target.compiler.cc} (${target.name}); stack: the worst chain from ${model.prefix}_run (${chain.chain.join(' → ')}), the caller's frame not included`, ...(target.note ? [target.note] : [])],
    };
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
