// bnnc.MultiThreshold in C: sorted thresholds (what the lowering derives) are searched by binary lifting,
// any other table is counted threshold by threshold; a sorted table near an arithmetic progression is
// stored as base + step + int8/int16 corrections; all must give the interpreter's levels bit for bit.
// Graph: uint8 NHWC → IntConv (±1, 3×3) → MultiThreshold → Dequantize (levels as their own float values).
import { describe, expect, it } from 'vitest';
import { buildCModel } from '../../src/backend/c-data.js';
import { loadTarget } from '../../src/backend/target.js';
import { verifyOnTarget } from '../../src/backend/verify.js';
import { run } from '../../src/interp/run.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph, Node, Tensor, TensorType } from '../../src/ir/types.js';
import { inferNode } from '../../src/ops/infer.js';
import { available, hasTool } from '../helpers/resources.js';

const C = 3, H = 6, M = 5;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How a channel's thresholds are drawn: uniform at random, or an arithmetic progression plus noise
 *  (±`noise`), or a progression whose upper half jumps far above every sum (corrections beyond int16). */
type Table = 'random' | { noise: number } | 'jump';

/** L thresholds per channel inside the sums' range; sorted in each channel's direction unless `shuffle`. */
function graph(L: number, shuffle: boolean, seed: number, table: Table = 'random'): Graph {
  const r = rng(seed);
  const reach = 9 * C * 255;
  const dirs = Array.from({ length: M }, (_, m) => (m % 2 === 0 ? 1 : -1));
  const t: number[] = [];
  for (let m = 0; m < M; m++) {
    // clustered near 0 so that the sums of random pixels cross many of them
    const span = reach * 0.3, start = (r() - 0.5) * span * 0.2, slope = span / L;
    const row = Array.from({ length: L }, (_, l) =>
      table === 'random' ? Math.round((r() - 0.5) * span)
      : table === 'jump' ? Math.round(start - span / 2 + l * slope) + (m === 0 && l >= L / 2 ? 1_000_000 : 0)
      : Math.round(start - span / 2 + l * slope + (r() * 2 - 1) * table.noise));
    row.sort((a, b) => (dirs[m] === 1 ? a - b : b - a));
    if (shuffle) row.reverse();
    t.push(...row);
  }
  const signed = L > 127;
  const qmin = signed ? -128 : 0;
  const initializers = new Map<string, Tensor>([
    ['w', tensor('int8', [M, C, 3, 3], Array.from({ length: M * C * 9 }, () => (r() < 0.5 ? -1 : 1)))],
    ['t', tensor('int32', [M, L], t)],
    ['d', tensor('int8', [M], dirs)],
    ['levels', tensor('float32', [L + 1], Array.from({ length: L + 1 }, (_, i) => qmin + i))],
  ]);
  const nodes: Node[] = [
    { name: 'conv', op: 'IntConv', domain: 'bnnc', inputs: ['x', 'w'], outputs: ['acc'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], layout: 'NHWC' } },
    { name: 'mt', op: 'MultiThreshold', domain: 'bnnc', inputs: ['acc', 't', 'd'], outputs: ['q'], attrs: { qmin, out_dtype: signed ? 'int8' : 'uint8' } },
    { name: 'dq', op: 'Dequantize', domain: 'bnnc', inputs: ['q', 'levels'], outputs: ['y'], attrs: { qmin } },
  ];
  const types = new Map<string, TensorType>([['x', { dtype: 'uint8', shape: [1, H, H, C] }]]);
  for (const [name, v] of initializers) types.set(name, { dtype: v.dtype, shape: v.shape });
  for (const n of nodes) {
    const { types: out } = inferNode(n, (s) => types.get(s), (s) => initializers.get(s), 13, 1 << 24);
    n.outputs.forEach((o, i) => types.set(o, out[i]!));
  }
  return { name: 'multi_threshold', inputs: [{ name: 'x', type: types.get('x')! }], outputs: ['y'], nodes, initializers, types, opset: 13 };
}

function inputs(n: number, seed: number): Tensor[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => tensor('uint8', [1, H, H, C], Array.from({ length: H * H * C }, () => Math.floor(r() * 256))));
}

/** `store`: the C's correction type in the compact form, 'int32_t' for the plain int32 table. */
const CASES: { L: number; shuffle: boolean; search: boolean; table?: Table; store: string; m4?: boolean }[] = [
  { L: 255, shuffle: false, search: true, store: 'int16_t' }, // 8 bits: 2S − 1 = L, no bound test
  { L: 6, shuffle: false, search: true, store: 'int16_t' }, // the bound test l + s ≤ L
  { L: 3, shuffle: false, search: false, store: 'int32_t' }, // few thresholds: counted
  { L: 7, shuffle: true, search: false, store: 'int32_t' }, // unsorted: counted
  { L: 255, shuffle: false, search: true, table: { noise: 3 }, store: 'int8_t', m4: true }, // near a progression
  { L: 127, shuffle: false, search: true, table: { noise: 3 }, store: 'int8_t' }, // bound test, compact
  { L: 255, shuffle: false, search: true, table: { noise: 400 }, store: 'int16_t', m4: true },
  { L: 255, shuffle: false, search: true, table: 'jump', store: 'int32_t' }, // corrections beyond int16
];

function verify(g: Graph, target: string, xs: Tensor[]): void {
  const report = verifyOnTarget(g, loadTarget(target), xs, { prefix: 'mt' });
  expect(report.ran).toBe(true);
  expect(report.vectors).toBe(xs.length);
  expect(report.firstMismatches).toEqual([]);
  expect(report.mismatchedVectors).toBe(0);
}

describe('bnnc.MultiThreshold in C', () => {
  for (const { L, shuffle, search, table, store, m4 } of CASES) {
    const what = table === undefined || table === 'random' ? '' : table === 'jump' ? ', a jump' : `, a progression ±${table.noise}`;
    it(`${L} thresholds${shuffle ? ', unsorted' : ''}${what}: ${search ? 'binary search' : 'counted'}, ${store} table, bit-exact on the host${m4 ? ' and the Cortex-M4' : ''}`, () => {
      const g = graph(L, shuffle, 20 + L, table);
      const host = loadTarget('host');
      const model = buildCModel(g, host, 'mt');
      const layer = model.layers.find((l) => l.partial === 'MultiThreshold')!;
      expect(layer.search).toBe(search);
      expect(layer.compact ? layer.ct : 'int32_t').toBe(store);
      const xs = inputs(12, 30 + L);
      // the levels are spread: the test reaches several of them, not one end
      const seen = new Set<number>();
      for (const x of xs) for (const v of run(g, { x }).get('y')!.data) seen.add(v);
      expect(seen.size).toBeGreaterThan(Math.min(L, 3));
      if (available('the host C compiler (cc)', hasTool('cc'))) verify(g, 'host', xs);
      if (m4 && available('the Cortex-M4 toolchain and emulator', hasTool('arm-none-eabi-gcc') && hasTool('qemu-system-arm'))) {
        verify(g, 'cortex-m4', xs.slice(0, 4));
      }
    }, 600_000);
  }
});
