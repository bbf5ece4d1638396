import { defineConfig } from 'vitest/config';

// The suites, named once. scripts/test.sh runs them in this order, the heavy ones one file at a time
// so they do not fight over a 2-core machine; `npm run test:unit` runs `fast` alone.
const HEAVY = ['test/e2e/**/*.test.ts', 'test/packaging/**/*.test.ts', 'test/web/io/web-server.prometheus.test.ts', 'test/web/io/metrics-gzip.prometheus.test.ts'];
const LAB = ['test/lab/**/*.test.ts'];

export default defineConfig({
  test: {
    // Real Prometheus, promtool, qemu: generous per-test limits, never used as speed assertions.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: [...HEAVY, ...LAB] } },
      { extends: true, test: { name: 'heavy', include: HEAVY, fileParallelism: false } },
      { extends: true, test: { name: 'lab', include: LAB, fileParallelism: false } },
    ],
  },
});
