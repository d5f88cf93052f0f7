// The k-bit kernels (binary weights × integer activations, bnnc.IntConv over an int8/uint8 NHWC tensor with
// values in [qmin, qmax], int32 sums out): reference and optimized (IntConvLanes, src/backend/kernels/int-lanes.ts)
// over a grid of shapes × value ranges (k = 1…8 bits, signed and unsigned) × zero points × paddings × strides,
// bit-exact against the reference interpreter, on the host (sanitizers) and under QEMU on Cortex-M0+, M4, M55
// and ESP32-C3 (rv32imc). The lowered graphs are built directly (test/backend/int-net.ts).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCModel } from '../../src/backend/c-data.js';
import { emitC } from '../../src/backend/emit.js';
import { lanePlans } from '../../src/backend/kernels/int-lanes.js';
import type { KernelVariant } from '../../src/backend/kernels.js';
import { loadTarget, type Target } from '../../src/backend/target.js';
import { verifyManyOnTarget, type VerifyCase } from '../../src/backend/verify.js';
import { CompileError } from '../../src/errors.js';
import type { IntConvLayer } from '../../src/ops/c-layer.js';
import { run } from '../../src/interp/run.js';
import { hasTool } from '../helpers/resources.js';
import { INT_GRID, intConvNet, intInputs, type IntCase } from './int-net.js';

const cases = (grid: IntCase[], variant: KernelVariant, n: number): VerifyCase[] =>
  grid.map((c) => { const g = intConvNet(c); return { graph: g, inputs: intInputs(g, c, n), prefix: `i${c.seed}_${variant.slice(0, 3)}`, kernels: variant }; });

const RUNS: { name: string; target: () => Target; tools: string[]; vectors: number; perImage: number }[] = [
  { name: 'host', target: () => loadTarget('host'), tools: ['gcc'], vectors: 10, perImage: 20 },
  { name: 'cortex-m4', target: () => loadTarget('cortex-m4'), tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], vectors: 5, perImage: 20 },
  { name: 'cortex-m55', target: () => loadTarget('cortex-m55'), tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], vectors: 5, perImage: 20 },
  { name: 'esp32c3', target: () => loadTarget('esp32c3'), tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'], vectors: 5, perImage: 20 },
  // 16 KiB of test RAM: one net per image (the kernel's stack takes up to 4 KiB)
  { name: 'cortex-m0plus', target: () => loadTarget('cortex-m0plus'), tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], vectors: 4, perImage: 1 },
];

describe.each(RUNS)('k-bit IntConv kernels on $name', ({ target, tools, vectors, perImage }) => {
  it.skipIf(!tools.every(hasTool)).each(['reference', 'optimized'] as const)('%s kernels equal the interpreter on every shape', (variant) => {
    const all = cases(INT_GRID, variant, vectors);
    for (let i = 0; i < all.length; i += perImage) {
      for (const r of verifyManyOnTarget(all.slice(i, i + perImage), target(), { layerDebug: false })) {
        expect(r.ran, r.prefix).toBe(true);
        expect(r.firstMismatches, r.prefix).toEqual([]);
        expect(r.mismatchedVectors, r.prefix).toBe(0);
      }
    }
  });
});

describe('k-bit IntConv kernel selection', () => {
  const m4 = loadTarget('cortex-m4');
  const plan = (c: IntCase, t: Target) => lanePlans(buildCModel(intConvNet(c), t, 'n').layers[0] as never as IntConvLayer, t)[0];

  it('the grid reaches every lane count and every table size, and each layer gets the optimized kernel', () => {
    const chosen = INT_GRID.map((c) => plan(c, m4));
    expect(new Set(chosen.map((p) => p.L))).toEqual(new Set([1, 2, 3, 4]));
    expect(new Set(chosen.map((p) => p.GS))).toEqual(new Set([4, 5, 6]));
    // several flushes of the lanes (the 600-tap int8 layer) and one
    expect(chosen.some((p) => p.FW < p.NWD)).toBe(true);
    for (const c of INT_GRID) {
      const src = emitC(intConvNet(c), m4, { prefix: 'n' }).get('n.c')!;
      expect(src, `case ${c.seed}`).toContain('optimized kernel: +-1 weights x');
      expect(emitC(intConvNet(c), m4, { prefix: 'n', kernels: 'reference' }).get('n.c')!).not.toContain('optimized kernel');
    }
  });

  it('sizes the lanes by the value range: 2-bit values take 3 or 4 lanes, int8 2, one pixel 1', () => {
    const base: IntCase = { seed: 3, h: 6, w: 6, c: 32, m: 64, k: 3, s: 1, pad: 0, dtype: 'uint8', qmin: 0, qmax: 3, zp: 0 };
    expect(plan(base, m4).L).toBeGreaterThanOrEqual(3);
    expect(plan({ ...base, qmax: 255 }, m4).L).toBe(2);
    expect(plan({ ...base, h: 3, w: 3 }, m4).L).toBe(1);
    // every lane's bias bound holds: C ≥ the taps of a flush × max|v|, 2C < 2^B
    for (const c of INT_GRID) {
      const p = plan(c, m4);
      const V = Math.max(Math.abs(c.qmin - c.zp), Math.abs(c.qmax - c.zp));
      if (p.L > 1) expect(2 * p.C < 2 ** p.B && p.C >= p.FW * p.GPW * p.GS * V, `case ${c.seed}`).toBe(true);
    }
  });

  it('a value range outside the dtype is BNNC_E130, naming the node', () => {
    const g = intConvNet({ ...INT_GRID[3], qmin: -200 });
    let err: unknown;
    try { run(g, { x: intInputs(intConvNet(INT_GRID[3]), INT_GRID[3], 1)[0] }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as CompileError).code).toBe('BNNC_E130');
    expect(String((err as Error).message)).toContain('conv');
  });
});

// the C of the optimized k-bit kernels, as static-analysis.test.ts checks every model's (same flags, nothing tolerated)
describe('cppcheck on the k-bit kernels', () => {
  it.skipIf(!hasTool('cppcheck'))('finds nothing in any grid layer, on the host and Cortex-M4', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnnc-intk-'));
    try {
      for (const [t, platform] of [['host', 'unix64'], ['cortex-m4', 'unix32']] as const) {
        for (const c of INT_GRID) {
          const prefix = `i${c.seed}`;
          for (const [name, text] of emitC(intConvNet(c), loadTarget(t), { prefix })) writeFileSync(join(dir, name), text);
          const r = spawnSync('cppcheck', ['--enable=warning,style,performance,portability', '--std=c99', '-UBNNC_DEBUG_LAYERS', '-UBNNC_BENCH',
            '--inline-suppr', '--error-exitcode=1', '--quiet', `--platform=${platform}`, `-I${dir}`, '--template={file}:{line}: {severity}: {message} [{id}]', join(dir, `${prefix}.c`)],
          { encoding: 'utf8' });
          expect(r.stderr.trim() + r.stdout.trim(), `${t} case ${c.seed}`).toBe('');
          expect(r.status, `${t} case ${c.seed}`).toBe(0);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
