// Regenerates docs/benchmarks.md when BNNC_BENCH_DOCS=1 (a few minutes: every core × model × kernel variant).
import { expect, it } from 'vitest';
import { writeBenchDoc, writeIntLayersDoc } from './run-bench.js';

it.runIf(process.env.BNNC_BENCH_DOCS === '1')('regenerates docs/benchmarks.md', () => {
  const text = writeBenchDoc();
  console.log(text);
  expect(text).not.toContain('| NO |');
}, 900_000);

// BNNC_BENCH_DOCS=int: only the k-bit layers' section (its own benches: a few minutes)
it.runIf(process.env.BNNC_BENCH_DOCS === 'int')('regenerates the k-bit layers section of docs/benchmarks.md', () => {
  const text = writeIntLayersDoc();
  console.log(text);
  expect(text).not.toContain('| NO |');
}, 1_800_000);
