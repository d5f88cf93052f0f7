// Every kernel variant (reference, optimized) over a grid of shapes, bit-exact against the reference
// interpreter: the random nets (padding 0/±1, groups, strides, odd and non-multiple-of-32 channels) plus
// shapes that reach the other code paths of the optimized kernels (long rows in a block loop, with and
// without a gathered window, short rows of 1–4 words, odd output counts). On the host with sanitizers, and
// under QEMU on Cortex-M4 (DSP: USAD8 finish), Cortex-M55 (MVE: vectorized loops), ESP32-C3 (rv32imc; and
// with Zbb), ESP32 (Xtensa, the lx106 stand-in: call0 ABI, soft float) and Cortex-M0+ (two nets per image:
// its 16 KiB of test RAM holds no more).
import { describe, expect, it } from 'vitest';
import { emitC } from '../../src/backend/emit.js';
import type { KernelVariant } from '../../src/backend/kernels.js';
import { loadTarget, type Target } from '../../src/backend/target.js';
import { verifyManyOnTarget, type VerifyCase } from '../../src/backend/verify.js';
import { withZbb } from '../../src/bench/variants.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph } from '../../src/ir/types.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';
import { buildNet, CASES, type NetCase } from './random-net.js';

const EXTRA: NetCase[] = [
  // dense on a 6x6x257 map: K = 36·9 = 324 words, gathered window, block loop
  { seed: 21, c0: 1, h: 8, layers: [{ m: 257, k: 3, s: 1, pad: 0 }], dense: 7 },
  // a 1x1 map of 2080 channels: K = 65 words read in place by the block loop; 1-word rows, 3 outputs
  { seed: 22, c0: 2, h: 3, layers: [{ m: 2080, k: 3, s: 1, pad: 0 }, { m: 3, k: 1, s: 1, pad: 0 }], dense: 5 },
  // short rows: 1, 2, 3 and 4 words per window, odd channel counts
  { seed: 23, c0: 1, h: 5, layers: [{ m: 31, k: 1, s: 1, pad: 0 }, { m: 65, k: 1, s: 1, pad: 0 }, { m: 95, k: 1, s: 1, pad: 0 }, { m: 97, k: 1, s: 2, pad: 0 }], dense: 9 },
  // bit-sliced layers (≥ 3/4 of the 32-channel lanes) with pad values +1 and −1, strided, and pooled with a border
  // int8 inputs with a zero point: a padded 3x3 first layer (tables per pixel) and a dense one over the
  // whole input read in place (N = 64 taps, 40 channels in blocks)
  { seed: 25, c0: 3, h: 6, quant: { dtype: 'int8', scale: 1, divisor: 16, zeroPoint: -7 }, layers: [{ m: 33, k: 3, s: 1, pad: 1 }, { m: 32, k: 3, s: 2, pad: 1 }], dense: 4 },
  { seed: 26, c0: 1, h: 8, quant: { dtype: 'int8', scale: 1, divisor: 16, zeroPoint: 3 }, layers: [{ m: 70, k: 8, s: 1, pad: 0 }, { m: 32, k: 1, s: 1, pad: 0 }], dense: 3 },
  { seed: 24, c0: 2, h: 8, layers: [{ m: 32, k: 3, s: 1, pad: 1 }, { m: 32, k: 3, s: 1, pad: 1, padValue: 1 }, { m: 30, k: 3, s: 2, pad: 1, padValue: -1 }, { m: 28, k: 3, s: 1, pad: 1, pool: 'before' }], dense: 5 },
];

const VARIANTS: KernelVariant[] = ['reference', 'optimized'];

function cases(variant: KernelVariant, n: number): VerifyCase[] {
  return [...CASES, ...EXTRA].map((c) => {
    const g: Graph = buildNet(c);
    const r = rng(2000 + c.seed);
    const t = g.inputs[0].type;
    const lo = t.dtype === 'int8' ? -128 : 0;
    const inputs = Array.from({ length: n }, () => tensor(t.dtype, t.shape, Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, () => lo + Math.floor(r() * 256))));
    return { graph: g, inputs, prefix: `net${c.seed}_${variant.slice(0, 3)}`, kernels: variant };
  });
}

const RUNS: { name: string; target: () => Target; tools: string[]; vectors: number }[] = [
  { name: 'host', target: () => loadTarget('host'), tools: ['gcc'], vectors: 12 },
  { name: 'cortex-m4', target: () => loadTarget('cortex-m4'), tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], vectors: 6 },
  { name: 'cortex-m55', target: () => loadTarget('cortex-m55'), tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], vectors: 6 },
  { name: 'esp32c3', target: () => loadTarget('esp32c3'), tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'], vectors: 6 },
  { name: 'esp32c3 + Zbb', target: () => withZbb(loadTarget('esp32c3')), tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'], vectors: 6 },
  { name: 'esp32', target: () => loadTarget('esp32'), tools: ['xtensa-lx106-elf-gcc', 'qemu-system-xtensa'], vectors: 6 },
];

describe.each(RUNS)('kernel variants on $name', ({ target, tools, vectors }) => {
  const ok = tools.every(hasTool);
  it.skipIf(!ok).each(VARIANTS)('%s kernels equal the interpreter on every shape', (variant) => {
    const t = target();
    const reports = verifyManyOnTarget(cases(variant, vectors), t, { layerDebug: false });
    for (const r of reports) {
      expect(r.ran, r.prefix).toBe(true);
      expect(r.firstMismatches, r.prefix).toEqual([]);
      expect(r.mismatchedVectors, r.prefix).toBe(0);
    }
  });
});

// Cortex-M0+ (the bit-sliced kernel with 16-bit blocks and shift-pair masks, only there): the grid in
// images of two nets each, its 16 KiB of test RAM holding no more
describe('kernel variants on cortex-m0plus', () => {
  const ok = ['arm-none-eabi-gcc', 'qemu-system-arm'].every(hasTool);
  // the Thumb-1 inline assembly of the bit-sliced kernel, and the C it replaces (what a compiler without GNU
  // inline assembly builds: __GNUC__ undefined)
  const plain = (): Target => { const t = loadTarget('cortex-m0plus'); return { ...t, compiler: { ...t.compiler, flags: [...t.compiler.flags, '-U__GNUC__'] } }; };
  it.skipIf(!ok).each([['GNU C with inline assembly', () => loadTarget('cortex-m0plus')], ['portable C', plain]] as const)('optimized kernels equal the interpreter on every shape (%s)', (_, target) => {
    const t = target();
    const all = cases('optimized', 4);
    for (let i = 0; i < all.length; i += 2) {
      for (const r of verifyManyOnTarget(all.slice(i, i + 2), t, { layerDebug: false })) {
        expect(r.ran, r.prefix).toBe(true);
        expect(r.firstMismatches, r.prefix).toEqual([]);
        expect(r.mismatchedVectors, r.prefix).toBe(0);
      }
    }
  });
});

describe('kernel selection', () => {
  it('rewrites group-1 binary convs only, by features, and reference keeps the portable kernels', () => {
    const g = buildNet(CASES[5]); // grouped layers stay on the reference kernel
    const opt = emitC(g, loadTarget('cortex-m4'), { prefix: 'n' }).get('n.c')!;
    const ref = emitC(g, loadTarget('cortex-m4'), { prefix: 'n', kernels: 'reference' }).get('n.c')!;
    expect(opt).toContain('optimized kernel (Harley-Seal');
    // USAD8 through the file's BNNC_USAD8 (the builtin, or four adds under -DBNNC_PORTABLE): called only by the optimized kernels
    expect(opt).toContain('#define BNNC_USAD8(x) __builtin_arm_usad8((x), 0u)');
    expect(opt.split('BNNC_USAD8(').length).toBeGreaterThan(ref.split('BNNC_USAD8(').length);
    expect(opt).toContain('group g\'s channels start at bit');
    expect(ref).not.toContain('optimized kernel');
    const rv = emitC(g, loadTarget('esp32c3'), { prefix: 'n' }).get('n.c')!;
    expect(rv).not.toContain('usad8');
    expect(rv).toContain('* 0x01010101u) >> 24');
    const zbb = emitC(g, withZbb(loadTarget('esp32c3')), { prefix: 'n' }).get('n.c')!;
    expect(zbb).toContain('sum of popcount instructions');
    expect(zbb).toContain('__builtin_popcount');
  });

  it('bit-slices thresholded layers across 32 channels without a popcount instruction', () => {
    const g = buildNet(CASES[0]); // 33 and 64 channels: at least 3/4 of the lanes used
    const m4 = emitC(g, loadTarget('cortex-m4'), { prefix: 'n' }).get('n.c')!;
    expect(m4).toContain('bit-sliced across 32 output channels');
    expect(m4).toContain('(0u - ((a >> 2) & 1u))'); // SBFX-shaped masks
    expect(m4).toContain('cyb[k] = ');
    const m0 = emitC(g, loadTarget('cortex-m0plus'), { prefix: 'n' }).get('n.c')!;
    expect(m0).toContain('bnnc_bit_mask(a, 29)'); // shift pairs, checked at compile time
    expect(m0).toContain('typedef char bnnc_sra_check');
    expect(m0).toContain('cyb[k * 2 + 1] = '); // blocks of 16 bits
    expect(m0).toContain('"ira-algorithm=priority"');
    expect(m0).toContain('".syntax unified\\n\\t"'); // the 16-bit blocks in Thumb-1 assembly
    expect(m4).not.toContain('__asm__');
    const zbb = emitC(g, withZbb(loadTarget('esp32c3')), { prefix: 'n' }).get('n.c')!;
    expect(zbb).not.toContain('bit-sliced');
    // MVE: a window of a multiple of 4 words (here the last dense layer's) runs as a vectorizable loop
    const mve = emitC(buildNet(EXTRA[2]), loadTarget('cortex-m55'), { prefix: 'n' }).get('n.c')!;
    expect(mve).toContain('for the MVE vectorizer');
  });
});
