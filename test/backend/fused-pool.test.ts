// The C back end's two memory savers, bit-exact in both kernel variants against the reference interpreter:
//  - conv (XnorConv or IntConv) → AccPool → Threshold fused into one layer that pools and packs each output
//    pixel as it makes its window's sums, so no int32 map reaches the arena;
//  - IntConv weights of ±1 stored one bit each (bit 1 = −1); any other int8 weight keeps one byte.
import { describe, expect, it } from 'vitest';
import { buildCModel } from '../../src/backend/c-data.js';
import { selectKernels, type KernelVariant } from '../../src/backend/kernels.js';
import { loadTarget } from '../../src/backend/target.js';
import { verifyManyOnTarget, type VerifyCase } from '../../src/backend/verify.js';
import { sizeOf, tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { rng } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';
import { buildNet, type NetCase } from './random-net.js';

const POOLED: NetCase[] = [
  // IntConv → AccPool → Threshold (padded, odd channels), then XnorConv → AccPool → Threshold with a border
  { seed: 31, c0: 2, h: 10, layers: [{ m: 33, k: 3, s: 1, pad: 1, pool: 'before' }, { m: 40, k: 3, s: 1, pad: 1, pool: 'before' }], dense: 4 },
  // unpadded binary conv, 64 channels (two whole words), pooled to 2x2; stride-2 first layer
  { seed: 32, c0: 1, h: 13, layers: [{ m: 32, k: 3, s: 2, pad: 1 }, { m: 64, k: 3, s: 1, pad: 0, pool: 'before' }], dense: 3 },
];

// a first layer whose rows are wider than one word (KW = 33): its bits are read tap by tap
const WIDE_ROW: NetCase = { seed: 33, c0: 1, h: 34, layers: [{ m: 5, k: 33, s: 1, pad: 0 }], dense: 3 };

const VARIANTS: KernelVariant[] = ['reference', 'optimized'];

function inputs(g: Graph, seed: number, n: number): Tensor[] {
  const r = rng(seed);
  const t = g.inputs[0].type;
  return Array.from({ length: n }, () => tensor(t.dtype, t.shape, Array.from({ length: sizeOf(t.shape) }, () => Math.floor(r() * 256))));
}

/** The graph with its first IntConv's weights replaced by seeded values in −3..3 (not all ±1). */
function wideWeights(g: Graph): Graph {
  const conv = g.nodes.find((n) => n.op === 'IntConv')!;
  const w = g.initializers.get(conv.inputs[1])!;
  const r = rng(77);
  const initializers = new Map(g.initializers);
  initializers.set(conv.inputs[1], tensor('int8', w.shape, Array.from(w.data as ArrayLike<number>, () => Math.floor(r() * 7) - 3)));
  return { ...g, initializers };
}

describe('conv → AccPool → Threshold fusion', () => {
  const host = loadTarget('host');
  it('leaves only packed bits in the arena, in both kernel variants', () => {
    const g = buildNet(POOLED[0]);
    expect(g.nodes.filter((n) => n.op === 'AccPool').length).toBe(2);
    const ref = buildCModel(g, host, 'p');
    expect(ref.layers.map((l) => l.partial).filter((p) => p === 'ConvPoolThreshold').length).toBe(2);
    // the largest int32 map (10x10x33 sums) would take 13,200 B; the packed maps are a few hundred
    expect(ref.arenaBytes).toBeLessThan(1024);
    const opt = selectKernels(ref, host, 'optimized');
    expect(opt.layers.map((l) => l.partial)).toContain('XnorConvFast');
    expect(opt.arenaBytes).toBe(ref.arenaBytes);
  });

  it.skipIf(!hasTool('gcc')).each(VARIANTS)('%s kernels equal the interpreter on the host', (variant) => {
    const cases: VerifyCase[] = POOLED.map((c) => {
      const g = buildNet(c);
      return { graph: g, inputs: inputs(g, 3000 + c.seed, 8), prefix: `pool${c.seed}_${variant.slice(0, 3)}`, kernels: variant };
    });
    for (const r of verifyManyOnTarget(cases, host, { layerDebug: false })) {
      expect(r.ran, r.prefix).toBe(true);
      expect(r.firstMismatches, r.prefix).toEqual([]);
      expect(r.mismatchedVectors, r.prefix).toBe(0);
    }
  });
});

describe('IntConv weight storage', () => {
  const host = loadTarget('host');
  it('packs ±1 weights one bit each and keeps other weights as int8', () => {
    const g = buildNet(POOLED[1]);
    const conv = g.nodes.find((n) => n.op === 'IntConv')!;
    const count = g.initializers.get(conv.inputs[1])!.data.length;
    const packed = buildCModel(g, host, 'p').consts.find((c) => /_c0_weights$/.test(c.name))!;
    expect(packed).toMatchObject({ ctype: 'uint32_t', count: Math.ceil(count / 32) + 1 });
    const wide = buildCModel(wideWeights(g), host, 'p').consts.find((c) => /_c0_weights$/.test(c.name))!;
    expect(wide).toMatchObject({ ctype: 'int8_t', count });
    const long = buildNet(WIDE_ROW);
    const longCount = long.initializers.get(long.nodes.find((n) => n.op === 'IntConv')!.inputs[1])!.data.length;
    expect(buildCModel(long, host, 'p').consts.find((c) => /_c0_weights$/.test(c.name))).toMatchObject({ ctype: 'uint32_t', count: Math.ceil(longCount / 32) });
  });

  it.skipIf(!hasTool('gcc')).each(VARIANTS)('%s kernels: both storages equal the interpreter on the host', (variant) => {
    const cases: VerifyCase[] = [...POOLED, WIDE_ROW].flatMap((c) => {
      const g = buildNet(c);
      return [
        { graph: g, inputs: inputs(g, 4000 + c.seed, 6), prefix: `bits${c.seed}_${variant.slice(0, 3)}`, kernels: variant },
        { graph: wideWeights(g), inputs: inputs(g, 5000 + c.seed, 6), prefix: `wide${c.seed}_${variant.slice(0, 3)}`, kernels: variant },
      ];
    });
    for (const r of verifyManyOnTarget(cases, host, { layerDebug: false })) {
      expect(r.ran, r.prefix).toBe(true);
      expect(r.firstMismatches, r.prefix).toEqual([]);
      expect(r.mismatchedVectors, r.prefix).toBe(0);
    }
  });
});
