// Regenerates docs/benchmarks.md when BNNC_BENCH_DOCS=1 (a few minutes: every core × model × kernel variant).
import { expect, it } from 'vitest';
import { writeBenchDoc } from './run-bench.js';

it.runIf(process.env.BNNC_BENCH_DOCS === '1')('regenerates docs/benchmarks.md', () => {
  const text = writeBenchDoc();
  console.log(text);
  expect(text).not.toContain('| NO |');
}, 900_000);
