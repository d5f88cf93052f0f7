// Targets and emission: the target list, a clear error for an unknown one and for a target file that breaks
// the schema (broken copies in a temporary folder), declared features that agree with the compiler's own
// predefined macros, no code that tests a target's name, deterministic output,
// the unsupported float tails, and a warnings-as-errors compile of every lowered op with every target's
// compiler (no division or modulo helper may be linked in: xtensa-lx106's libgcc has none, Cortex-M0+ has no
// divider).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitC } from '../../src/backend/emit.js';
import { listTargets, loadTarget, TARGETS_DIR, type Target, type TargetFeatures } from '../../src/backend/target.js';
import { withZbb } from '../../src/bench/variants.js';
import { exec, ToolchainError } from '../../src/backend/toolchain.js';
import { compileCheck, verifyOnTarget } from '../../src/backend/verify.js';
import { CompileError } from '../../src/errors.js';
import type { Graph } from '../../src/ir/types.js';
import { hasShared, hasTool, ROOT } from '../helpers/resources.js';
import { lowerReal, MNIST, MODELS, mnistInputs } from './helpers.js';
import { buildNet, CASES } from './random-net.js';

const ALL = ['cortex-m0plus', 'cortex-m3', 'cortex-m33', 'cortex-m4', 'cortex-m55', 'cortex-m7', 'esp32', 'esp32c3', 'esp32s3', 'host'];
/** The TypeScript module target (test/backend/ts-target.test.ts), listed beside the C targets. */
const TS = 'ts';

function code(f: () => unknown): string {
  try { f(); } catch (e) { return e instanceof CompileError ? `${e.code}: ${e.message}` : `not a CompileError: ${e}`; }
  return 'no error';
}

describe('targets', () => {
  it('lists every target and loads each', () => {
    expect(listTargets()).toEqual([...ALL, TS]);
    expect(loadTarget(TS).language).toBe('ts');
    for (const t of ALL) {
      const target = loadTarget(t);
      expect(target.name).toBe(t);
      expect(target.compiler.flags).toContain('-ffp-contract=off');
    }
  });

  it('rejects an unknown target with BNNC_E019, naming the known ones', () => {
    const msg = code(() => loadTarget('cortex-m99'));
    expect(msg).toMatch(/^BNNC_E019/);
    expect(msg).toContain('cortex-m4');
    expect(msg).toContain('esp32c3');
  });
});

describe('target files are checked against src/backend/target.schema.json', () => {
  /** A copy of targets/ with cortex-m4.json edited; the code and message of loading it. */
  function broken(edit: (t: Record<string, any>) => void, raw?: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'bnnc-targets-'));
    try {
      cpSync(TARGETS_DIR, dir, { recursive: true });
      const t = JSON.parse(readFileSync(join(dir, 'cortex-m4.json'), 'utf8'));
      edit(t);
      writeFileSync(join(dir, 'cortex-m4.json'), raw ?? JSON.stringify(t));
      expect(listTargets(dir)).toEqual([...ALL, TS]);
      expect(loadTarget('cortex-m3', dir).name).toBe('cortex-m3');
      return code(() => loadTarget('cortex-m4', dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('loads an unchanged copy', () => {
    expect(broken(() => {})).toBe('no error');
  });

  it.each([
    ['a feature of the wrong type', (t: any) => { t.features.popcountInstruction = 'yes'; }, '/features/popcountInstruction must be boolean'],
    ['a missing field', (t: any) => { delete t.compiler.cc; }, "/compiler must have required property 'cc'"],
    ['an unknown field', (t: any) => { t.features.neon = true; }, "/features has an unknown field 'neon'"],
    ['a runner nobody knows', (t: any) => { t.runner = 'semihost-arm'; }, '/runner must be one of "host", "semihost", "ts", "none"'],
    ['an emulated runner without an emulator', (t: any) => { t.emulator = null; }, '/emulator must be object'],
    ['an emulator without startup code', (t: any) => { delete t.emulator.startup; }, "/emulator must have required property 'startup'"],
    ['an unknown cost model', (t: any) => { t.costModel = 'cortex-m7'; }, '/costModel must be one of'],
    ['a name that is not the file name', (t: any) => { t.name = 'cortex-m4f'; }, "/name must be 'cortex-m4', the file's name"],
  ])('%s is BNNC_E060 naming the file and the field', (_, edit, field) => {
    const msg = broken(edit);
    expect(msg).toMatch(/^BNNC_E060/);
    expect(msg).toContain('cortex-m4.json: ');
    expect(msg).toContain(field);
  });

  it('a file that is not JSON is BNNC_E060 naming the file', () => {
    const msg = broken(() => {}, '{ "name": "cortex-m4", ');
    expect(msg).toMatch(/^BNNC_E060.*cortex-m4\.json: /);
  });
});

describe('declared features agree with the compiler (its predefined macros for the target flags)', () => {
  /** The features the target's compiler says its flags give, for Arm and RISC-V compilers; null otherwise. */
  function compilerFeatures(t: Target): Partial<TargetFeatures> | null {
    const out = execFileSync(t.compiler.cc, [...t.compiler.flags, '-dM', '-E', '-x', 'c', '/dev/null'], { encoding: 'utf8' });
    const m = new Map(out.split('\n').map((l) => l.split(' ')).filter((f) => f[0] === '#define').map((f) => [f[1], f.slice(2).join(' ')]));
    const fp = Number(m.get('__ARM_FP') ?? 0);
    if (m.has('__arm__')) {
      return {
        dsp: m.has('__ARM_FEATURE_DSP'), usad8: m.has('__ARM_FEATURE_SIMD32'), mve: m.has('__ARM_FEATURE_MVE'), zbb: false,
        popcountInstruction: false, hardwareDivide: m.has('__ARM_FEATURE_IDIV'), thumb1Only: m.get('__ARM_ARCH_ISA_THUMB') === '1',
        sbfx: m.get('__ARM_ARCH_ISA_THUMB') === '2', fpu: fp & 8 ? 'dp' : fp & 4 ? 'sp' : 'none',
      };
    }
    if (m.has('__riscv')) {
      const flen = Number(m.get('__riscv_flen') ?? 0);
      return {
        dsp: false, usad8: false, mve: false, sbfx: false, thumb1Only: false, zbb: m.has('__riscv_zbb'), popcountInstruction: m.has('__riscv_zbb'),
        hardwareDivide: m.has('__riscv_div'), fpu: flen >= 64 ? 'dp' : flen === 32 ? 'sp' : 'none',
      };
    }
    return null; // the host's and the Xtensa stand-in's: not the chip described
  }
  const cases: [string, () => Target][] = [...ALL.map((n): [string, () => Target] => [n, () => loadTarget(n)]), ['esp32c3 + Zbb', () => withZbb(loadTarget('esp32c3'))]];
  it.each(cases)('%s', (_, target) => {
    const t = target();
    if (!hasTool(t.compiler.cc)) return;
    const want = compilerFeatures(t);
    if (want) expect(t.features).toEqual(want);
  });
});

describe('back ends read capabilities, never names', () => {
  /** Every .ts file under src/ but target loading itself. */
  function sources(dir: string): string[] {
    return readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('backend/target.ts') ? [p] : [];
    });
  }
  const NAME_TEST = [
    /\.(family|arch|core|name)\s*(===|!==|==|!=)/, // t.family === ...
    /(===|!==|==|!=)\s*[\w.]*\.(family|arch|core)\b/, // ... === t.core
    /\.(family|arch|core)\s*\.(startsWith|endsWith|includes|match)\(/, // t.core.startsWith(...)
    /\.test\(\s*([\w.]*\.)?(family|arch|core)\)/, // /M4/.test(t.core)
    /['"](cortex-m\d+\w*|esp32\w*|xtensa|riscv|armv[\w.-]+|rv32[a-z]+)['"]/i, // a target, family or ISA literal (not a cost table's name)
  ];

  it('no file in src/ outside target loading compares a target\'s name, family, arch or core', () => {
    const hits: string[] = [];
    for (const f of sources(join(ROOT, 'src'))) {
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (line.trim().startsWith('//') || line.trim().startsWith('*')) return;
        if (/\bname\s*(===|!==)/.test(line) && !/(target|\bt)\.name\s*(===|!==)/.test(line)) return; // other things' names
        if (NAME_TEST.some((re) => re.test(line))) hits.push(`${f.slice(ROOT.length)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(hits).toEqual([]);
  });
});

describe('emission', () => {
  const real = MODELS.every((m) => hasShared(m.file));

  it.skipIf(!real)('is byte-identical for the same input and lays out the package per target', () => {
    const g = lowerReal(MODELS[2]);
    const a = emitC(g, loadTarget('cortex-m4'), { prefix: 'mnist' });
    const b = emitC(lowerReal(MODELS[2]), loadTarget('cortex-m4'), { prefix: 'mnist' });
    expect([...a.keys()].sort()).toEqual(['CMakeLists.txt', 'README.md', 'mnist.c', 'mnist.h', 'mnist_timing.h']);
    for (const [k, v] of a) expect(b.get(k), k).toBe(v);
    expect(a.get('mnist.h')).toContain('int mnist_run(const uint8_t *input, float *output);');
    expect(a.get('mnist.c')).not.toMatch(/malloc|[^a-z_]free\(/);
    const esp = emitC(g, loadTarget('esp32c3'), { prefix: 'mnist' });
    expect(esp.get('CMakeLists.txt')).toContain('idf_component_register');
    expect(esp.has('idf_component.yml')).toBe(true);
  });

  it.skipIf(!real)('refuses a trailing LogSoftmax with BNNC_E031 naming the node', () => {
    const g = lowerReal(MODELS[2], true);
    const msg = code(() => emitC(g, loadTarget('host')));
    expect(msg).toMatch(/^BNNC_E031/);
    expect(msg).toContain('LogSoftmax');
    expect(msg).toContain('not supported by the C back ends yet');
  });
});

/** Graphs covering every template: the real models and the random nets (grouped, ±1 padded, ArgMax, TopK). */
function coverage(): Graph[] {
  const gs = CASES.map(buildNet);
  if (MODELS.every((m) => hasShared(m.file))) gs.push(...MODELS.map((m) => lowerReal(m)));
  return gs;
}

describe('warnings-as-errors compile on every target compiler', () => {
  const graphs = coverage();
  const DIVISION = /__(u?div|u?mod)[sd]i3|__aeabi_[ui]?i?div|__aeabi_[ui]divmod/;
  it.each(ALL)('%s', (name) => {
    const t = loadTarget(name);
    if (!hasTool(t.compiler.cc)) return;
    const dir = mkdtempSync(join(tmpdir(), 'bnnc-cc-test-'));
    try {
      graphs.forEach((g, i) => {
        const sizes = compileCheck(g, t, { prefix: `net${i}`, workDir: dir });
        expect(sizes.text).toBeGreaterThan(0);
        if (t.runner !== 'host') {
          const undef = execFileSync(t.compiler.size.replace(/size$/, 'nm'), ['-u', join(dir, 'model.o')], { encoding: 'utf8' });
          expect(undef, `${name} net${i} needs a division helper`).not.toMatch(DIVISION);
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runners', () => {
  it('fail with a ToolchainError naming the step when a program hangs', () => {
    const e = (() => { try { exec('sleep', ['5'], { timeoutMs: 300, what: 'a hanging guest', program: true }); } catch (x) { return x; } })();
    expect(e).toBeInstanceOf(ToolchainError);
    expect((e as ToolchainError).step).toBe('a hanging guest');
    expect((e as Error).message).toMatch(/^a hanging guest timed out after 0.3 s and was killed \(the program hung, or the machine is busy: raise --timeout/);
  });
});

describe('targets without an emulator', () => {
  it.skipIf(!(hasTool('xtensa-lx106-elf-gcc') && MODELS.every((m) => hasShared(m.file)) && hasShared(MNIST)))('compiled and sized, and said plainly not run', () => {
    const g = lowerReal(MODELS[0]);
    const none: Target = { ...loadTarget('esp32'), runner: 'none', emulator: null };
    const r = verifyOnTarget(g, none, mnistInputs(g, 2));
    console.log(`esp32 without its emulator ${MODELS[0].file}: text ${r.modelSizes.text} B, data ${r.modelSizes.data}, bss ${r.modelSizes.bss}; ${r.note}`);
    expect(r.ran).toBe(false);
    expect(r.note).toContain('NOT run');
    expect(r.modelSizes.text).toBeGreaterThan(r.constBytes);
  });
});
