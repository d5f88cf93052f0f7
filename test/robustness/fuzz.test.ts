// A seeded, bounded fuzz run (a few thousand cases, well under a minute): mutants of the models built in
// code and of the real exports in ../shared/models, and random one-node models of every op, each taken
// through import, IMPORT_PIPELINE and lowering. Every outcome must be success or a CompileError: never
// another exception, never a hang (tensors are capped at 64 MiB, so nothing huge is ever allocated).
// The long run: BNNC_FUZZ_ITERATIONS (see docs/fuzzing.md and fuzz-long.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasShared, sharedFile } from '../helpers/resources.js';
import { compileBytes, describeCrash, parseFields, runFuzz, type Seed, serializeFields } from './fuzz-lib.js';
import { SEEDS } from './seeds.js';

const BASE = 20240611;
const SHARED_MODELS = ['mnist_cnn_bnn.fastinference.onnx', 'tfc_w1a1.finn.onnx', 'tfc_w1a1.qonnx.onnx'];
const built: Seed[] = Object.entries(SEEDS).map(([name, f]) => ({ name, bytes: f() }));

describe('fuzz seeds', () => {
  it('every model built in code compiles unmutated, and survives a parse/serialize round trip', () => {
    for (const s of built) {
      expect(compileBytes(s.bytes), s.name).toEqual({ kind: 'ok' });
      expect(serializeFields(parseFields(s.bytes)!)).toEqual(new Uint8Array(s.bytes));
    }
  });
});

describe('fuzzing', () => {
  it('mutants of the built models and random one-node models of every op: success or CompileError', () => {
    const r = runFuzz(built, { perSeed: 1000, torture: 16, base: BASE });
    expect(r.crashes.map((c) => describeCrash(c, BASE))).toEqual([]);
    // the mutants reach deep: successes, and diagnostics from decoding through shape inference to lowering
    expect(r.outcomes.get('ok') ?? 0).toBeGreaterThan(50);
    for (const code of ['BNNC_E002', 'BNNC_E006', 'BNNC_E007', 'BNNC_E008', 'BNNC_E009', 'BNNC_E010', 'BNNC_E013', 'BNNC_E031']) {
      expect(r.outcomes.get(code) ?? 0, `${code} among ${[...r.outcomes]}`).toBeGreaterThan(0);
    }
  });

  it.skipIf(!SHARED_MODELS.every((m) => hasShared(`models/${m}`)))('mutants of the real exports in ../shared/models: success or CompileError', () => {
    const shared: Seed[] = SHARED_MODELS.map((m) => ({ name: m, bytes: new Uint8Array(readFileSync(sharedFile(`models/${m}`))) }));
    const r = runFuzz(shared, { perSeed: 300, torture: 0, base: BASE });
    expect(r.crashes.map((c) => describeCrash(c, BASE))).toEqual([]);
    expect(r.outcomes.get('ok') ?? 0).toBeGreaterThan(10);
  });
});
