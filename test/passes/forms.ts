// Shared by the export-form pass tests: the float model of a form against onnxruntime, and a lowered model
// built with the form run as C on the host, compared byte for byte with the reference interpreter.
import { expect } from 'vitest';
import { loadTarget } from '../../src/backend/target.js';
import { verifyOnTarget } from '../../src/backend/verify.js';
import { run } from '../../src/interp/run.js';
import { tensor } from '../../src/ir/tensor.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { buildModel, expectTensorClose, type ModelIn, rng, runOrt } from '../helpers/onnx-build.js';
import { hasTool } from '../helpers/resources.js';

/** Runs `g` (the imported model, before the pass) and onnxruntime on the same feeds; every output close. */
export async function expectMatchesOrt(m: ModelIn, g: Graph, feeds: Record<string, Tensor>[], opts: { ulps?: number; absTol?: number } = {}): Promise<void> {
  const bytes = buildModel(m);
  for (const feed of feeds) {
    const want = await runOrt(bytes, feed);
    const got = run(g, feed);
    for (const o of m.outputs) expectTensorClose(got.get(o.name)!, want[o.name], { ...opts, label: o.name });
  }
}

export const HAS_GCC = hasTool('gcc');

/** The lowered graph as C on the host (sanitizers on), 20 seeded raw inputs, every output byte compared. */
export function expectHostBitExact(lowered: Graph, seed: number): void {
  const t = lowered.inputs[0].type;
  const r = rng(seed);
  const size = t.shape.reduce((a, b) => a * b, 1);
  const inputs = Array.from({ length: 20 }, () => tensor(t.dtype, t.shape, Array.from({ length: size }, () => Math.floor(r() * 256) - (t.dtype === 'int8' ? 128 : 0))));
  const report = verifyOnTarget(lowered, loadTarget('host'), inputs);
  expect(report.firstMismatches).toEqual([]);
  expect(report.mismatchedVectors).toBe(0);
  expect(report.vectors).toBe(20);
}
