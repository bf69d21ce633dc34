// Our lag monitor alone in a process (so its RSS compares with Burrow's): runs N collection cycles
// against the broker named on the command line and prints their timings (collection over the wire and
// evaluation apart) and its memory as JSON. cycles = 0: a baseline, the monitor loaded, nothing collected.
// Plain JavaScript on the compiled package (dist/, which `npm run bench:monitor` builds first): the
// monitor `sluice monitor` runs, without its HTTP service (the bench measures that apart) and without a
// TypeScript loader in the process's memory (tsx adds ~28 MB).
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { Admin } from '../../dist/client/admin.js';
import { KafkaLagSource } from '../../dist/monitor/kafka-lag-source.js';
import { LagMonitor } from '../../dist/monitor/monitor.js';
import { preferSmallHeap } from '../../dist/monitor/small-heap.js';

// MONITOR_V8_FLAGS: V8 flags set at run time, before any cycle (heap sizing experiments; see docs/benchmarks.md).
if (process.env.MONITOR_V8_FLAGS) setFlagsFromString(process.env.MONITOR_V8_FLAGS);
const [bootstrap, cyclesArg, timeLag, heap] = process.argv.slice(2);
// 'small': as `sluice monitor` runs (its default); anything else: V8's defaults, as in a library user's process.
if (heap === 'small') preferSmallHeap();
const cycles = Number(cyclesArg ?? 5);
const mode = timeLag ?? 'exact';
const admin = new Admin({ brokers: [bootstrap], clientId: 'sluice-monitor' });
const source = new KafkaLagSource(admin, {
  watch: () => true,
  fetchTimestamps: mode === 'exact',
  maxTimestampFetches: 20_000,
});
const monitor = new LagMonitor({ source, timeLag: mode });
const times = [];
const observeMs = [];
const evaluateMs = [];
const mb = (n) => Math.round(n / 2 ** 20);
const memTrace = [];
const trace = (at) => {
  const m = process.memoryUsage();
  memTrace.push(
    `${at}: rss ${mb(m.rss)} heapTotal ${mb(m.heapTotal)} heapUsed ${mb(m.heapUsed)} external ${mb(m.external)} ab ${mb(m.arrayBuffers)}`,
  );
};
// MONITOR_ALLOC_PROFILE=<file>: a sampling profile of everything the warm cycles allocate, garbage
// included (every 4 KiB), written as a .heapprofile for Chrome's DevTools.
const allocProfile = process.env.MONITOR_ALLOC_PROFILE;
const inspector = allocProfile && cycles > 1 ? new Session() : null;
inspector?.connect();
// MONITOR_MEM_TRACE also counts the collections of the warm cycles, by kind, with their total pause.
const gcKinds = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
const gcStats = new Map();
let countGc = false;
const gcObserver = new PerformanceObserver((list) => {
  if (!countGc) return;
  for (const e of list.getEntries()) {
    const kind = gcKinds[e.detail?.kind] ?? 'other';
    const s = gcStats.get(kind) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += e.duration;
    gcStats.set(kind, s);
  }
});
if (process.env.MONITOR_MEM_TRACE) gcObserver.observe({ entryTypes: ['gc'] });
let report = monitor.lag();
for (let i = 0; i < cycles; i++) {
  if (inspector && i === 1) {
    await inspector.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  countGc = i > 0;
  const t0 = performance.now();
  const obs = await source.observe();
  const t1 = performance.now();
  if (process.env.MONITOR_MEM_TRACE) trace(`cycle ${i} observed`);
  report = monitor.ingest(obs);
  if (process.env.MONITOR_MEM_TRACE) trace(`cycle ${i} ingested`);
  const t2 = performance.now();
  times.push(t2 - t0);
  observeMs.push(t1 - t0);
  evaluateMs.push(t2 - t1);
}
countGc = false;
if (process.env.MONITOR_MEM_TRACE) {
  // Entries arrive after the collection: let the last ones in before reading the counts.
  await new Promise((r) => setTimeout(r, 50));
  gcObserver.disconnect();
  const warm = Math.max(1, cycles - 1);
  memTrace.push(
    `collections per warm cycle: ${[...gcStats].map(([k, s]) => `${k} ${(s.n / warm).toFixed(1)} (${(s.ms / warm).toFixed(1)} ms)`).join(', ')}`,
  );
}
if (inspector) {
  const { profile } = await inspector.post('HeapProfiler.stopSampling');
  writeFileSync(allocProfile, JSON.stringify(profile));
  inspector.disconnect();
}
const t3 = performance.now();
const metricsBytes = (await monitor.metrics.registry.metrics()).length;
const scrapeMs = performance.now() - t3;
if (process.env.MONITOR_MEM_TRACE) trace('scraped');
global.gc?.();
const mem = process.memoryUsage();
// MONITOR_MEM_TRACE also splits the final RSS by mapping (the node binary's code, V8's heap and other
// anonymous memory, malloc's heap, shared libraries), in MB.
if (process.env.MONITOR_MEM_TRACE) {
  memTrace.push(`rss by mapping: ${rssByMapping()}`);
  const spaces = getHeapSpaceStatistics().filter((s) => s.space_size > 0);
  memTrace.push(
    `V8 spaces (size/used): ${spaces.map((s) => `${s.space_name} ${mb(s.space_size)}/${mb(s.space_used_size)}`).join(', ')}`,
  );
}
// MONITOR_HEAP_SNAPSHOT=<file>: what stays live after the cycles and a scrape, for Chrome's DevTools.
if (process.env.MONITOR_HEAP_SNAPSHOT && cycles > 0) writeHeapSnapshot(process.env.MONITOR_HEAP_SNAPSHOT);
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
    memTrace,
  })}\n`,
);
admin.close();
process.exit(0);

function rssByMapping() {
  const kb = new Map();
  let name = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const range = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (range) {
      const file = range[2] === '' ? '[anon]' : range[2].replace(/.*\//, '');
      name = range[1].includes('x') ? `${file} (code)` : file;
    } else if (line.startsWith('Rss:')) kb.set(name, (kb.get(name) ?? 0) + Number(line.split(/\s+/)[1]));
  }
  return [...kb]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, v]) => `${k} ${(v / 1024).toFixed(1)}`)
    .join(', ');
}
