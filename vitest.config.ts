import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real Prometheus, promtool, qemu: generous per-test limits, never used as speed assertions.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
