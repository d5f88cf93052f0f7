// The before/after check every pass test makes: run both graphs in the interpreter on the same seeded
// inputs and compare every graph output, bit for bit (Object.is: −0 ≠ +0, NaN = NaN) or within a stated
// number of float32 ULPs.
import { expect } from 'vitest';
import { run } from '../../src/interp/run.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { importModelBytes } from '../../src/onnx/import.js';
import { buildModel, type ModelIn, randomTensor, rng, ulpDistance32 } from '../helpers/onnx-build.js';

/** The imported graph (no pass run yet): what the first pass of the pipeline receives. */
export function imported(m: ModelIn): Graph {
  return importModelBytes(buildModel(m));
}

/** `n` seeded feeds for a graph's inputs (floats in [lo, hi], integers rounded). */
export function seededFeeds(g: Graph, n: number, seed: number, lo = -4, hi = 4): Record<string, Tensor>[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Object.fromEntries(g.inputs.map((i) => [i.name, randomTensor(r, i.type.dtype, [...i.type.shape], lo, hi)])));
}

/** Runs both graphs on every feed and compares every output (0 ULPs: bit-exact). Returns the worst distance. */
export function expectSameOutputs(before: Graph, after: Graph, feeds: Record<string, Tensor>[], ulps = 0): number {
  expect([...after.outputs]).toEqual([...before.outputs]);
  let worst = 0;
  for (const [k, feed] of feeds.entries()) {
    const a = run(before, feed), b = run(after, feed);
    for (const o of before.outputs) {
      const x = a.get(o)!, y = b.get(o)!;
      expect(y.dtype, o).toBe(x.dtype);
      expect([...y.shape], o).toEqual([...x.shape]);
      for (let i = 0; i < x.data.length; i++) {
        const d = Object.is(x.data[i], y.data[i]) ? 0 : x.dtype === 'float32' && ulps > 0 ? ulpDistance32(x.data[i], y.data[i]) : Infinity;
        worst = Math.max(worst, d);
        if (d > ulps) expect(y.data[i], `output '${o}' element ${i} of feed ${k} (before ${x.data[i]})`).toBe(x.data[i]);
      }
    }
  }
  return worst;
}

/** Op names of a graph's nodes, in order. */
export function ops(g: Graph): string[] {
  return g.nodes.map((n) => n.op);
}
