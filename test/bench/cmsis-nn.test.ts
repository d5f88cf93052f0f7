// The CMSIS-NN side-by-side harness (src/bench/cmsis-nn.ts) on one tiny network on the emulated Cortex-M4:
// every layer's CMSIS-NN output equals the plain C int8 reference's, the counts add up, and a reference that is
// off by one step is caught; the docs section skips without the sources and pairs layers by their shapes. The full
// comparison table is written by `npm run bench` only (cmsis-doc.ts).
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/backend/target.js';
import { benchCmsis, quantizeMultiplier, type CmsisLayerReport, type CmsisNetSpec, type CmsisReport } from '../../src/bench/cmsis-nn.js';
import { hasShared, hasTool } from '../helpers/resources.js';
import type { BenchLayer, BenchReport } from '../../src/bench/bench.js';
import { CMSIS_SOURCES, cmsisSection, pairLayers } from './cmsis-doc.js';

const TINY: CmsisNetSpec = {
  name: 'tiny',
  input: [6, 5, 3],
  layers: [
    { kind: 'conv', out: 8, k: 3, pad: 1, relu: true },
    { kind: 'maxpool', k: 2 },
    { kind: 'fc', out: 5, relu: false },
  ],
};

it('quantizeMultiplier: scale = multiplier · 2^(shift − 31), multiplier in [2^30, 2^31)', () => {
  for (const s of [0.5, 0.25, 1e-3, 0.999, 3.7e-6]) {
    const { mult, shift } = quantizeMultiplier(s);
    expect(mult).toBeGreaterThanOrEqual(2 ** 30);
    expect(mult).toBeLessThan(2 ** 31);
    expect(Math.abs(mult * 2 ** (shift - 31) - s) / s).toBeLessThan(2 ** -30);
  }
});

describe('CMSIS-NN on the emulated Cortex-M4', () => {
  const ok = ['arm-none-eabi-gcc', 'qemu-system-arm', 'gcc'].every(hasTool) && hasShared('third_party/cmsis-nn');
  it.skipIf(!ok)('a tiny conv + pool + dense net: exact against the int8 reference, counts per layer', () => {
    const r = benchCmsis(TINY, loadTarget('cortex-m4'), CMSIS_SOURCES);
    expect(r.exact).toBe(true);
    expect(r.markCost).toBe(2);
    expect(r.layers.map((l) => l.macs)).toEqual([6 * 5 * 8 * 27, 0, 5 * 3 * 2 * 8]);
    expect(r.total.instructions).toBe(r.layers.reduce((s, l) => s + l.instructions, 0));
    for (const l of r.layers) expect(l.instructions).toBeGreaterThan(0);
    // the outputs are spread, not clamped to a few codes (so a wrong kernel could not match by saturation)
    expect(r.layers[0].distinct).toBeGreaterThan(40);
    expect(r.layers[2].distinct).toBeGreaterThanOrEqual(4);
    // weights 8·27 + bias 4·8 + multipliers and shifts 2·4·8, plus parameter structs
    expect(r.layers[0].constBytes).toBeGreaterThanOrEqual(8 * 27 + 4 * 8 + 64);
    expect(r.flash.code).toBeGreaterThan(0);
    expect(r.ram.stack).toBeGreaterThan(0);
    expect(r.ram.arena).toBe(6 * 5 * 8 + 3 * 2 * 8); // the two ping-pong buffers
  });
  it.skipIf(!ok)('a reference off by one step in the last layer is reported as mismatches', () => {
    const r = benchCmsis(TINY, loadTarget('cortex-m4'), CMSIS_SOURCES, { selfTest: true });
    expect(r.exact).toBe(false);
    expect(r.mismatched).toBeGreaterThan(0);
  });
});

describe('the docs section', () => {
  it('without the CMSIS-NN sources (a clone without ../shared) says so instead of a table', () => {
    const text = cmsisSection(new Map(), { nn: '/nonexistent/cmsis-nn', coreInclude: '/nonexistent/core' }).join('\n');
    expect(text).toContain('## Against CMSIS-NN int8');
    expect(text).toMatch(/^Skipped: the CMSIS-NN sources .* are not here/m);
    expect(text).not.toContain('| network |');
  });

  const bl = (title: string, binaryMacs: number, intMacs = 0) => ({ title, binaryMacs, intMacs }) as BenchLayer;
  const cl = (title: string, macs: number) => ({ title, macs }) as CmsisLayerReport;
  it('pairs layers by MAC count, pools with the conv before them, bnnc-only layers alone', () => {
    const b = { graph: 'g', layers: [bl('threshold', 0), bl('conv a', 0, 90), bl('conv b', 400), bl('dense', 50), bl('epilogue', 0)] } as BenchReport;
    const c = { name: 'n', layers: [cl('conv a', 90), cl('conv b', 400), cl('pool', 0), cl('dense', 50)] } as CmsisReport;
    const rows = pairLayers(b, c).map((r) => [r.bnnc.map((l) => l.title).join('+'), r.cmsis.map((l) => l.title).join('+')]);
    expect(rows).toEqual([['threshold', ''], ['conv a', 'conv a'], ['conv b', 'conv b+pool'], ['dense', 'dense'], ['epilogue', '']]);
  });
  it('refuses a CMSIS-NN layer whose shape no bnnc layer has', () => {
    const b = { graph: 'g', layers: [bl('dense', 50)] } as BenchReport;
    expect(() => pairLayers(b, { name: 'n', layers: [cl('dense', 51)] } as CmsisReport)).toThrow(/no bnnc layer of g has the 51 MACs/);
  });
});
