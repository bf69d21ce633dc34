// Our lag monitor alone in a process (so its RSS compares with Burrow's): runs N collection cycles
// against the broker named on the command line and prints their timings (collection over the wire and
// evaluation apart) and its memory as JSON. cycles = 0: a baseline, the monitor loaded, nothing collected.
import { Admin } from '../../src/client/admin.js';
import { KafkaLagSource } from '../../src/monitor/kafka-lag-source.js';
import { LagMonitor } from '../../src/monitor/monitor.js';
import type { Observation } from '../../src/monitor/observation.js';

const [bootstrap, cyclesArg, timeLag] = process.argv.slice(2);
const cycles = Number(cyclesArg ?? 5);
const mode = (timeLag as 'exact' | 'interpolated' | 'off' | undefined) ?? 'exact';
const admin = new Admin({ brokers: [bootstrap], clientId: 'sluice-monitor' });
const source = new KafkaLagSource(admin, {
  watch: () => true,
  fetchTimestamps: mode === 'exact',
  maxTimestampFetches: 20_000,
});
const monitor = new LagMonitor({ source, timeLag: mode });
const times: number[] = [];
const observeMs: number[] = [];
const evaluateMs: number[] = [];
let report = monitor.lag();
for (let i = 0; i < cycles; i++) {
  const t0 = performance.now();
  const obs: Observation = await source.observe();
  const t1 = performance.now();
  report = monitor.ingest(obs);
  const t2 = performance.now();
  times.push(t2 - t0);
  observeMs.push(t1 - t0);
  evaluateMs.push(t2 - t1);
}
const t3 = performance.now();
const metricsBytes = (await monitor.metrics.registry.metrics()).length;
const scrapeMs = performance.now() - t3;
global.gc?.();
const mem = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({
    cycles: times,
    observeMs,
    evaluateMs,
    scrapeMs,
    firstFullReportMs: times[0],
    rssMb: mem.rss / 2 ** 20,
    heapMb: mem.heapUsed / 2 ** 20,
    groups: report.groups.length,
    partitions: report.partitions.length,
    totalLag: report.total_lag,
    exact: report.partitions.filter((p) => p.lag_seconds_method === 'exact').length,
    errors: report.collection.errors.slice(0, 3),
    metricsBytes,
  })}\n`,
);
admin.close();
process.exit(0);
