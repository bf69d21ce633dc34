import { defineConfig } from 'vitest/config';

// Unit suites run in parallel; suites that start real servers (compat, e2e, crash, browser)
// pick their own ports and are serialised per file by vitest's default file isolation.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
