import { defineConfig } from 'vitest/config';

// Two projects. "sluice" holds the unit suites and every suite against the embedded broker; suites that
// start real servers pick their own ports and are serialised per file by vitest's default file isolation.
// "kafka" holds the suites that need Apache Kafka (test/kafka): its global setup starts a single node and a
// three-broker cluster once for the whole run, and only when a file of that project is selected.
const shared = { testTimeout: 30_000, hookTimeout: 60_000, pool: 'forks' as const };

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      { test: { name: 'sluice', include: ['test/**/*.test.ts'], exclude: ['test/kafka/**'], ...shared } },
      {
        test: {
          name: 'kafka',
          include: ['test/kafka/**/*.test.ts'],
          globalSetup: ['test/kafka/global-setup.ts'],
          ...shared,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
