// Checks of the generated C itself (docs/generated-code-checks.md): cppcheck finds nothing in the C of every
// model, kernel variant and code-shaping target, and on every target with a compiler each function's stack
// frame is static (-fstack-usage) and bounded, as is the heaviest call chain from <prefix>_run
// (-fcallgraph-info=su). ASan and UBSan run in verify on the host (kernels.test.ts: both variants,
// real-models.test.ts); this file adds the real and example models with the reference kernels there.
// BNNC_STACK_TABLE=1 prints the stack table of the doc.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { emitC } from '../../src/backend/emit.js';
import type { KernelVariant } from '../../src/backend/kernels.js';
import { parseCallGraph, parseStackUsage, worstChain, type StackFrame } from '../../src/backend/stack.js';
import { loadTarget, type Target } from '../../src/backend/target.js';
import { cflags } from '../../src/backend/toolchain.js';
import { verifyManyOnTarget } from '../../src/backend/verify.js';
import { withZbb } from '../../src/bench/variants.js';
import { loadModel, lowerModel } from '../../src/compile.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph } from '../../src/ir/types.js';
import type { InputQuant } from '../../src/lower/lower.js';
import { rng } from '../helpers/onnx-build.js';
import { hasShared, hasTool, ROOT } from '../helpers/resources.js';
import { lowerReal, MODELS } from './helpers.js';
import { buildNet, CASES, randomCase } from './random-net.js';

const run = promisify(execFile);
const VARIANTS: KernelVariant[] = ['reference', 'optimized'];
const EXAMPLE_QUANT: InputQuant = { dtype: 'uint8', scale: 1, divisor: 255, zeroPoint: 0 };

interface Model { name: string; graph: () => Graph }

const models: Model[] = [
  ...MODELS.filter((m) => hasShared(m.file)).map((m) => ({ name: m.file.replace(/^models\/|\.onnx$/g, ''), graph: () => lowerReal(m) })),
  ...['mlp', 'cnn'].map((e) => ({ name: `examples/${e}`, graph: () => lowerModel(loadModel(`${ROOT}examples/${e}/${e}.onnx`), { inputQuant: EXAMPLE_QUANT }) })),
  // groups, ±1 padding, strides, a TopK tail; and a seeded random net
  { name: 'random CASES[5]', graph: () => buildNet(CASES[5]) },
  { name: 'random CASES[3]', graph: () => buildNet(CASES[3]) },
  { name: 'random case 11', graph: () => buildNet(randomCase(11)) },
];

const lowered = new Map<string, Graph>();
function graphOf(m: Model): Graph {
  let g = lowered.get(m.name);
  if (!g) lowered.set(m.name, (g = m.graph()));
  return g;
}

/** Emits every model × variant for a target into dir/<i>_<variant>/ with distinct prefixes; returns the C files. */
function emitAll(t: Target, dir: string): { model: string; variant: KernelVariant; c: string; prefix: string }[] {
  const out: { model: string; variant: KernelVariant; c: string; prefix: string }[] = [];
  models.forEach((m, i) => {
    for (const variant of VARIANTS) {
      const prefix = `m${i}_${variant.slice(0, 3)}`;
      const sub = join(dir, prefix);
      mkdirSync(sub, { recursive: true });
      for (const [name, text] of emitC(graphOf(m), t, { prefix, kernels: variant })) writeFileSync(join(sub, name), text);
      out.push({ model: m.name, variant, c: join(sub, `${prefix}.c`), prefix });
    }
  });
  return out;
}

/** Runs jobs with at most `n` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], n: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  }));
  return results;
}

// The code differs by the target's family and two features (kernels.ts, c-data.ts): the DSP kernels on
// Cortex-M, __builtin_popcount with a popcount instruction, the SWAR count otherwise.
// cppcheck's platform gives the type sizes: ILP32 for the cores, LP64 for the host.
const CPPCHECK_TARGETS: { name: string; target: () => Target; platform: string }[] = [
  { name: 'host', target: () => loadTarget('host'), platform: 'unix64' },
  { name: 'cortex-m4', target: () => loadTarget('cortex-m4'), platform: 'unix32' },
  { name: 'esp32c3 + Zbb', target: () => withZbb(loadTarget('esp32c3')), platform: 'unix32' },
];

/**
 * cppcheck's flags; no suppression on the command line, and --inline-suppr for the one comment in the C (the
 * arena's `align` member, docs/generated-code-checks.md). The shipped configuration only (-U of the debug and
 * bench hooks: all four #ifdef combinations cost 2.5× the time).
 */
const CPPCHECK_ARGS = [
  '--enable=warning,style,performance,portability',
  '--std=c99',
  '-UBNNC_DEBUG_LAYERS',
  '-UBNNC_BENCH',
  '--inline-suppr',
  '--error-exitcode=1',
  '--quiet',
  '--template={file}:{line}:{column}: {severity}: {message} [{id}]',
];

/**
 * Style findings tolerated (docs/generated-code-checks.md): none. Any finding of any severity fails.
 */
const OPEN_STYLE: string[] = [];

describe('cppcheck on the generated C', () => {
  it.skipIf(!hasTool('cppcheck'))('finds nothing in any model, kernel variant or code-shaping target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnnc-cppcheck-'));
    try {
      // beyond the host, the code-shaping targets check the real and example models only (time)
      const files = CPPCHECK_TARGETS.flatMap((ct, i) => emitAll(ct.target(), join(dir, `t${i}`))
        .filter((e) => i === 0 || !e.model.startsWith('random')).map((e) => ({ f: e.c, platform: ct.platform })));
      const findings = await pool(files.map(({ f, platform }) => async () => {
        try {
          const r = await run('cppcheck', [...CPPCHECK_ARGS, `--platform=${platform}`, `-I${join(f, '..')}`, f], { maxBuffer: 16 << 20 });
          return r.stderr.trim();
        } catch (e) {
          const err = e as { stderr?: string; message: string };
          return (err.stderr ?? err.message).trim() || err.message;
        }
      }), 2);
      const lines = findings.flatMap((x) => x.split('\n')).filter((x) => x !== '');
      const open = lines.filter((l) => !OPEN_STYLE.some((id) => l.includes(`: style: `) && l.endsWith(`[${id}]`)));
      expect(open).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Every target with a C compiler. Measured maxima (docs/generated-code-checks.md): 848 bytes per function
// and 896 along the worst chain (cortex-m55), from the optimized kernels' scratch and register spills.
const STACK_TARGETS = ['cortex-m0plus', 'cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55', 'esp32', 'esp32s3', 'esp32c3', 'host'];
const LIMIT = { frame: 1024, chain: 1280 };
const HOST_LIMIT = LIMIT;

interface StackRow { target: string; maxFrame: StackFrame & { model: string; variant: string }; maxChain: { bytes: number; chain: string[]; model: string; variant: string }; functions: number }

describe('stack usage of the generated C', () => {
  const rows: StackRow[] = [];
  it.each(STACK_TARGETS)('%s: every frame static and bounded, and the worst chain from run', async (name) => {
    const t = loadTarget(name);
    if (!hasTool(t.compiler.cc)) return;
    const dir = mkdtempSync(join(tmpdir(), `bnnc-stack-${name}-`));
    try {
      const emitted = emitAll(t, dir);
      await pool(emitted.map((e) => async () => {
        const obj = e.c.replace(/\.c$/, '.o');
        await run(t.compiler.cc, [...cflags(t, ['-fstack-usage', '-fcallgraph-info=su']), '-c', e.c, '-o', obj], { cwd: join(e.c, '..') });
      }), 2);
      const limit = name === 'host' ? HOST_LIMIT : LIMIT;
      let row: StackRow | undefined;
      let functions = 0;
      for (const e of emitted) {
        const base = e.c.replace(/\.c$/, '');
        const frames = parseStackUsage(readFileSync(`${base}.su`, 'utf8'));
        functions += frames.length;
        for (const f of frames) {
          expect(f.kind, `${e.model} ${e.variant}: ${f.fn}`).toBe('static');
          expect(f.bytes, `${e.model} ${e.variant}: ${f.fn}`).toBeLessThanOrEqual(limit.frame);
        }
        const w = worstChain(parseCallGraph(readFileSync(`${base}.ci`, 'utf8')), `${e.prefix}_run`);
        // the only calls out of the model: libgcc's soft-float helpers on cores without an FPU
        expect(w.external.filter((f) => !/^__aeabi_(fadd|fsub|fmul|fdiv|i2f|ui2f|fcmp\w+|f2iz|f2uiz)$|^__(add|sub|mul|div)sf3$|^__float(un)?sisf$|^__(lt|gt|le|ge|eq|ne|unord)sf2$|^__fix(uns)?sfsi$/.test(f)), `${e.model} ${e.variant}: calls out of the model`).toEqual([]);
        expect(w.bytes, `${e.model} ${e.variant}: ${w.chain.join(' → ')}`).toBeLessThanOrEqual(limit.chain);
        const big = frames.reduce((a, b) => (b.bytes > a.bytes ? b : a));
        if (!row || big.bytes > row.maxFrame.bytes) row = { ...(row ?? { target: name, maxChain: { ...w, model: e.model, variant: e.variant }, functions: 0 }), maxFrame: { ...big, model: e.model, variant: e.variant } };
        if (w.bytes > row.maxChain.bytes) row.maxChain = { ...w, model: e.model, variant: e.variant };
      }
      rows.push({ ...row!, functions });
      if (process.env.BNNC_STACK_TABLE === '1') {
        const r = rows[rows.length - 1];
        const strip = (s: string) => s.replace(/^m\d+_(ref|opt)_/, '');
        process.stderr.write(`STACK| ${name} | ${r.functions} | ${r.maxFrame.bytes} (${strip(r.maxFrame.fn)}, ${r.maxFrame.model}, ${r.maxFrame.variant}) | ${r.maxChain.bytes} (${r.maxChain.chain.map(strip).join(' → ')}; ${r.maxChain.model}, ${r.maxChain.variant}) |\n`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// verify on the host already runs ASan and UBSan over both kernel variants of the random nets
// (kernels.test.ts) and the optimized kernels of the real models (real-models.test.ts); here the reference
// kernels of the real models and both variants of the examples, a few vectors each.
describe('sanitizers on the host', () => {
  it.skipIf(!hasTool('gcc'))('ASan and UBSan find nothing in the real and example models, reference kernels', () => {
    const picked = models.filter((m) => !m.name.startsWith('random'));
    const cases = picked.flatMap((m, i) => {
      const g = graphOf(m);
      const r = rng(900 + i);
      const t = g.inputs[0].type;
      const n = t.shape.reduce((a, b) => a * b, 1);
      const inputs = Array.from({ length: 3 }, () => tensor(t.dtype, t.shape, Array.from({ length: n }, () => Math.floor(r() * 256) + (t.dtype === 'int8' ? -128 : 0))));
      const variants: KernelVariant[] = m.name.startsWith('examples') ? VARIANTS : ['reference'];
      return variants.map((v) => ({ graph: g, inputs, prefix: `s${i}_${v.slice(0, 3)}`, kernels: v }));
    });
    for (const r of verifyManyOnTarget(cases, loadTarget('host'), { layerDebug: false })) {
      expect(r.ran, r.prefix).toBe(true);
      expect(r.mismatchedVectors, r.prefix).toBe(0);
    }
  });
});
