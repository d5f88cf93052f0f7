import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Hang guards only, never performance limits (#16): a loaded 2-core machine may be many times slower than
    // a quiet one, so a test is stopped only when it has clearly hung. Performance is measured by counting work.
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
    pool: 'forks',
  },
});
