// The long fuzz run, off unless asked for: BNNC_FUZZ_ITERATIONS=20000 npx vitest run test/robustness/fuzz-long
// (mutants per seed model; one-node models per op get a tenth of that). BNNC_FUZZ_SEED picks another random
// stream; every crashing input is written to BNNC_FUZZ_OUT (default: a temporary folder) as
// <seed>-<case>.onnx, with its stack beside it. See docs/fuzzing.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED, sharedFile } from '../helpers/resources.js';
import { describeCrash, runFuzz, type Seed } from './fuzz-lib.js';
import { SEEDS } from './seeds.js';

const ITERATIONS = Number(process.env.BNNC_FUZZ_ITERATIONS ?? 0);
const BASE = Number(process.env.BNNC_FUZZ_SEED ?? Date.now() % 1e9);
const OUT = process.env.BNNC_FUZZ_OUT ?? join(tmpdir(), 'bnnc-fuzz');

describe.skipIf(!(ITERATIONS > 0))('long fuzz run (BNNC_FUZZ_ITERATIONS)', () => {
  it(`${ITERATIONS} mutants per seed model, base seed ${BASE}`, () => {
    const seeds: Seed[] = Object.entries(SEEDS).map(([name, f]) => ({ name, bytes: f() }));
    for (const m of ['mnist_cnn_bnn.fastinference.onnx', 'tfc_w1a1.finn.onnx', 'tfc_w1a1.qonnx.onnx']) {
      if (existsSync(sharedFile(`models/${m}`))) seeds.push({ name: m, bytes: new Uint8Array(readFileSync(sharedFile(`models/${m}`))) });
      else console.warn(`SKIP: ${SHARED}models/${m} is absent; fuzzing the built models only`);
    }
    const t0 = performance.now();
    const r = runFuzz(seeds, { perSeed: ITERATIONS, torture: Math.ceil(ITERATIONS / 10), base: BASE });
    const s = ((performance.now() - t0) / 1000).toFixed(0);
    console.log(`${r.cases} cases in ${s} s (slowest ${r.slowestMs.toFixed(0)} ms: ${r.slowest}); outcomes: ${[...r.outcomes].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
    if (r.crashes.length) {
      mkdirSync(OUT, { recursive: true });
      for (const c of r.crashes) {
        const file = join(OUT, `${c.seed.replace(/[^\w.-]/g, '_')}-${c.index}`);
        writeFileSync(`${file}.onnx`, c.bytes);
        writeFileSync(`${file}.txt`, describeCrash(c, BASE));
      }
      console.log(`${r.crashes.length} crashing inputs written to ${OUT}`);
    }
    expect(r.crashes.map((c) => describeCrash(c, BASE))).toEqual([]);
  }, 24 * 3600_000);
});
