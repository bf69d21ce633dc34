import { defineConfig } from 'vitest/config';

// Two projects. "sluice" holds the unit suites and every suite against the embedded broker; suites that
// start real servers pick their own ports. "kafka" holds the suites that need Apache Kafka (test/kafka):
// its global setup starts a single node and a three-broker cluster once for the whole run, and only when
// a file of that project is selected. The kafka project runs after the sluice one (groupOrder), so busy
// JVMs never share the two cores with the lab suites that compare drain rates.
// Files run one at a time on the 2-core CI machine: vitest's default maxWorkers is the core count minus
// one (the CI log's per-file durations add up to its wall time). A machine with more cores runs
// several files at once.
const shared = { testTimeout: 30_000, hookTimeout: 60_000, pool: 'forks' as const };

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'sluice',
          include: ['test/**/*.test.ts'],
          exclude: ['test/kafka/**'],
          sequence: { groupOrder: 0 },
          ...shared,
        },
      },
      {
        test: {
          name: 'kafka',
          include: ['test/kafka/**/*.test.ts'],
          globalSetup: ['test/kafka/global-setup.ts'],
          sequence: { groupOrder: 1 },
          ...shared,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
