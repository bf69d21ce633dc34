// Our lag monitor alone in a process (so its RSS compares with Burrow's): runs N collection cycles
// against the broker named on the command line and prints their timings and its memory as JSON.
import { LagMonitor } from '../../src/monitor/monitor.js';

const [bootstrap, cyclesArg, timeLag] = process.argv.slice(2);
const cycles = Number(cyclesArg ?? 5);
const monitor = new LagMonitor({
  brokers: [bootstrap],
  timeLag: (timeLag as 'exact' | 'interpolated' | 'off' | undefined) ?? 'exact',
  maxTimestampFetchesPerCycle: 20_000,
});
// cycles = 0: a baseline, the process with the monitor loaded but nothing collected.
const times: number[] = [];
let report = monitor.lag();
const started = performance.now();
for (let i = 0; i < cycles; i++) {
  const t0 = performance.now();
  report = await monitor.collect();
  times.push(performance.now() - t0);
}
const firstFullReportMs = times[0];
global.gc?.();
const mem = process.memoryUsage();
const exact = report.partitions.filter((p) => p.lag_seconds_method === 'exact').length;
process.stdout.write(
  `${JSON.stringify({
    cycles: times,
    firstFullReportMs,
    totalMs: performance.now() - started,
    rssMb: mem.rss / 2 ** 20,
    heapMb: mem.heapUsed / 2 ** 20,
    groups: report.groups.length,
    partitions: report.partitions.length,
    totalLag: report.total_lag,
    exact,
    errors: report.collection.errors.slice(0, 3),
    metricsBytes: (await monitor.metrics.registry.metrics()).length,
  })}\n`,
);
await monitor.stop();
process.exit(0);
