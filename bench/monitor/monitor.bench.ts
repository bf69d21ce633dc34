/**
 * Collector cost: one lag-collection cycle over 10,000 partitions in 100 groups (100 topics × 100
 * partitions, each group reading one topic), our monitor beside Burrow 1.2.1 on the same broker.
 * Run with `npm run bench:monitor`. The broker, our monitor and Burrow each run in their own process.
 *
 * Ours: time per cycle (cold: the first, which also fetches the timestamp of every oldest unconsumed
 * record; warm: the median of the rest, timestamps cached) and the process's RSS and heap after the
 * cycles, each the median of MONITOR_BENCH_RUNS runs (default 3). Burrow: its RSS, the time from the
 * last commit until its HTTP API reports every group with all partitions (it evaluates from
 * __consumer_offsets on its own schedule, so that is its "cycle"), and the time to read all 100 groups'
 * /lag once (a client's sweep). Ratios are Burrow ÷ ours.
 *
 * The `sluice monitor` service itself (bin/sluice.js monitor: the monitor with its HTTP API, the process a
 * user runs and the one that compares with Burrow's): its RSS when started, after a few cycles and a
 * /metrics scrape (checked: every partition's lag and time lag, the total), and at its peak.
 *
 * MONITOR_V8_FLAGS=<flags>: V8 flags our monitor processes set at run time (v8.setFlagsFromString), e.g.
 * --semi-space-growth-factor=1 to keep the young generation at its initial size.
 *
 * MONITOR_NODE_ARGS=<flags>: node flags for our monitor's processes (the `sluice monitor` service's too), e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/p".
 *
 * MONITOR_MEM_TRACE=1: prints the first column's memory after each cycle, its collections per warm cycle
 * (scavenges, mark-compacts, with their pause), its final RSS by mapping and the size of each V8 space.
 *
 * MONITOR_BENCH_BEFORE=<dir>: also runs the monitor of another checkout (its dist/ built), alone and as the
 * `sluice monitor` service, taking turns with ours MONITOR_BENCH_REPS times (default 5), and prints the
 * medians side by side (before/after).
 * MONITOR_BENCH_HEAP=small runs those turns as `sluice monitor` runs (its V8 setting) instead of V8's defaults.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { Producer } from '../../src/client/producer.js';
import { SMALL_HEAP_V8_FLAGS } from '../../src/monitor/small-heap.js';
import { burrowTools, startBurrow, waitFor } from '../../test/helpers/burrow.js';
import { rssBytes, spawnServer } from '../broker/servers.js';
import { median } from '../stats.js';

const TOPICS = Number(process.env.MONITOR_BENCH_TOPICS ?? 100);
const PARTITIONS = Number(process.env.MONITOR_BENCH_PARTITIONS ?? 100);
const RECORDS = 5; // per partition
const here = dirname(fileURLToPath(import.meta.url));
const children: ChildProcess[] = [];
const cleanup: (() => Promise<void>)[] = [];

function child(script: string, args: string[]): ChildProcess {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const extra =
    script === 'monitor-child.mjs' ? (process.env.MONITOR_NODE_ARGS ?? '').split(' ').filter(Boolean) : [];
  const c = spawn(process.execPath, ['--expose-gc', ...extra, ...loader, resolve(here, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(c);
  return c;
}

function firstJson<T>(c: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    let buf = '';
    c.once('error', reject);
    c.once('exit', (code) => reject(new Error(`child exited with ${code} before answering`)));
    c.stdout?.on('data', (d: Buffer) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)) as T);
    });
  });
}

const rssOf = (pid: number) => rssBytes(pid) / 2 ** 20;

/** `sluice monitor` as a user starts it, its collection period shortened from 2 s so the bench is quick. */
const SERVICE_INTERVAL_MS = 1000;
const SERVICE_CYCLES = 6;
/** Runs of each of our columns and of the service; the table gives their medians (MONITOR_BENCH_RUNS). */
const RUNS = Number(process.env.MONITOR_BENCH_RUNS ?? 3);

/**
 * Starts the real `sluice monitor` (bin/sluice.js on dist/), waits for SERVICE_CYCLES collections, scrapes
 * /metrics once and checks it (every partition's lag and lag in seconds, the total), then reads the
 * process's RSS: now and its peak (VmHWM).
 */
async function runService(
  bootstrap: string,
  partitions: number,
  expectedLag: number,
  checkout = resolve(here, '../..'),
) {
  const bin = join(checkout, 'bin/sluice.js');
  const args = [
    'monitor',
    '--brokers',
    bootstrap,
    '--port',
    '0',
    '--interval-ms',
    String(SERVICE_INTERVAL_MS),
  ];
  const nodeArgs = (process.env.MONITOR_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const started = await spawnServer(
    'sluice monitor',
    process.execPath,
    [...nodeArgs, bin, ...args],
    /sluice monitor: (http:\/\/\S+)/,
  );
  const c = started.child;
  children.push(c);
  const url = started.match[1];
  const pid = c.pid as number;
  const startedRssMb = rssOf(pid);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const health = (await (await fetch(`${url}/health`)).json()) as { cycles: number };
    if (health.cycles >= SERVICE_CYCLES) break;
    if (Date.now() > deadline) throw new Error(`sluice monitor ran ${health.cycles} cycles in 120 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const text = await (await fetch(`${url}/metrics`)).text();
  const series = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));
  const lagSeries = series('kafka_consumer_group_lag');
  const exactSeries = series('kafka_consumergroup_group_lag_seconds');
  const total = series('kafka_consumer_group_lag_total')
    .filter((l) => !l.startsWith('kafka_consumer_group_lag_total{group=""}'))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  if (lagSeries.length !== partitions || exactSeries.length !== partitions || total !== expectedLag)
    throw new Error(
      `sluice monitor reported ${lagSeries.length} partitions, ${exactSeries.length} with lag in seconds, total lag ${total}`,
    );
  const rssMb = rssOf(pid);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  c.kill('SIGTERM');
  return { rssMb, startedRssMb, peakRssMb: hwm ? Number(hwm[1]) / 1024 : Number.NaN };
}

try {
  const broker = child('broker-child.ts', []);
  const { port } = await firstJson<{ port: number }>(broker);
  const bootstrap = `127.0.0.1:${port}`;
  const cluster = new Cluster({ brokers: [bootstrap], clientId: 'bench-setup' });
  const admin = new Admin({ cluster });
  const topics = Array.from({ length: TOPICS }, (_, i) => `lagbench-${i}`);
  const groups = topics.map((_, i) => `lagbench-group-${i}`);
  for (let i = 0; i < topics.length; i += 20) {
    await admin.createTopics(topics.slice(i, i + 20).map((topic) => ({ topic, numPartitions: PARTITIONS })));
  }
  const producer = new Producer({ cluster, lingerMs: 5 });
  for (const topic of topics) {
    await producer.send(
      Array.from({ length: PARTITIONS * RECORDS }, (_, i) => ({
        topic,
        partition: i % PARTITIONS,
        value: 'x',
      })),
    );
  }
  await producer.close();
  const commitAll = async () => {
    await Promise.all(
      groups.map((groupId, g) =>
        new ConsumerClient({ cluster, groupId }).commit(
          Array.from({ length: PARTITIONS }, (_, p) => ({
            topic: topics[g],
            partition: p,
            offset: BigInt((p + g) % RECORDS),
          })),
        ),
      ),
    );
  };
  await commitAll();
  const expectedLag = groups.reduce(
    (s, _, g) =>
      s +
      Array.from({ length: PARTITIONS }, (_, p) => RECORDS - ((p + g) % RECORDS)).reduce((a, b) => a + b, 0),
    0,
  );
  console.log(
    `setup: ${TOPICS} topics × ${PARTITIONS} partitions, ${groups.length} groups, ${TOPICS * PARTITIONS} group-partitions, total lag ${expectedLag}`,
  );

  interface OursResult {
    cycles: number[];
    observeMs: number[];
    evaluateMs: number[];
    scrapeMs: number;
    firstFullReportMs: number;
    rssMb: number;
    heapMb: number;
    groups: number;
    partitions: number;
    totalLag: number;
    exact: number;
    errors: string[];
    metricsBytes: number;
  }
  const runOurs = async (mode: string, heap: 'small' | 'default') => {
    const c = child('monitor-child.mjs', [bootstrap, '6', mode, heap]);
    const r = await firstJson<OursResult>(c);
    if (r.groups !== groups.length || r.partitions !== TOPICS * PARTITIONS || r.totalLag !== expectedLag) {
      throw new Error(
        `our monitor saw ${r.groups} groups, ${r.partitions} partitions, lag ${r.totalLag}: ${r.errors.join('; ')}`,
      );
    }
    return r;
  };
  // A single run's RSS swings by 10-20 MB with when V8 last grew or shrank its young generation: each
  // figure of the table is the median of RUNS runs, and the RSS of every run is printed below it.
  const runsOf = async (mode: string, heap: 'small' | 'default') => {
    const rs: OursResult[] = [];
    for (let i = 0; i < RUNS; i++) rs.push(await runOurs(mode, heap));
    const firstAndWarm = (f: (r: OursResult) => number[]) => [
      median(rs.map((r) => f(r)[0])),
      ...rs.flatMap((r) => f(r).slice(1)),
    ];
    const combined: OursResult & { rssRuns: number[] } = {
      ...rs[0],
      cycles: firstAndWarm((r) => r.cycles),
      observeMs: firstAndWarm((r) => r.observeMs),
      evaluateMs: firstAndWarm((r) => r.evaluateMs),
      scrapeMs: median(rs.map((r) => r.scrapeMs)),
      firstFullReportMs: median(rs.map((r) => r.firstFullReportMs)),
      rssMb: median(rs.map((r) => r.rssMb)),
      heapMb: median(rs.map((r) => r.heapMb)),
      exact: Math.min(...rs.map((r) => r.exact)),
      metricsBytes: median(rs.map((r) => r.metricsBytes)),
      rssRuns: rs.map((r) => r.rssMb),
    };
    return combined;
  };
  const loadBefore = loadavg()[0];
  const baseline = await firstJson<OursResult>(child('monitor-child.mjs', [bootstrap, '0', 'off']));
  const exact = await runsOf('exact', 'small');
  if (process.env.MONITOR_MEM_TRACE)
    console.log((exact as unknown as { memTrace: string[] }).memTrace.join('\n'));
  const exactDefaultHeap = await runsOf('exact', 'default');
  const interpolated = await runsOf('interpolated', 'small');
  const serviceRuns: Awaited<ReturnType<typeof runService>>[] = [];
  for (let i = 0; i < RUNS; i++)
    serviceRuns.push(await runService(bootstrap, TOPICS * PARTITIONS, expectedLag));
  const service = {
    rssMb: median(serviceRuns.map((r) => r.rssMb)),
    startedRssMb: median(serviceRuns.map((r) => r.startedRssMb)),
    peakRssMb: median(serviceRuns.map((r) => r.peakRssMb)),
  };
  const loadAfterOurs = loadavg()[0];

  let burrowLine: { rss: number; reportMs: number; sweepMs: number } | null = null;
  const missing = burrowTools().filter((t) => !t.available);
  if (process.env.MONITOR_BENCH_BURROW === '0') {
    console.log('Burrow left out (MONITOR_BENCH_BURROW=0)');
  } else if (missing.length > 0) {
    console.log(`!! Burrow not measured: ${missing.map((t) => t.detail).join('; ')}`);
  } else {
    const burrow = await startBurrow({ bootstrap, intervals: 10, minDistance: 0, offsetRefresh: 2 });
    cleanup.push(burrow.stop);
    await waitFor(
      'Burrow to list every topic',
      async () => {
        const r = await burrow.get('/v3/kafka/local/topic');
        return ((r.body.topics as string[] | undefined) ?? []).filter((t) => t.startsWith('lagbench-'))
          .length === TOPICS
          ? true
          : undefined;
      },
      120_000,
      burrow.log,
    );
    await new Promise((r) => setTimeout(r, 5000)); // two head-offset refreshes, so no commit is dropped
    await commitAll();
    const t0 = performance.now();
    const complete = async (g: string) => {
      const r = await burrow.get(`/v3/kafka/local/consumer/${g}/lag`);
      const st = r.body.status as { partition_count?: number; totallag?: number } | undefined;
      return st?.partition_count === PARTITIONS;
    };
    const pending = new Set(groups);
    await waitFor(
      'Burrow to report every group',
      async () => {
        for (const g of [...pending]) if (await complete(g)) pending.delete(g);
        return pending.size === 0 ? true : undefined;
      },
      180_000,
      burrow.log,
    );
    const reportMs = performance.now() - t0;
    const sweeps: number[] = [];
    let burrowLag = 0;
    for (let i = 0; i < 3; i++) {
      const s0 = performance.now();
      burrowLag = 0;
      for (const g of groups) {
        const r = await burrow.get(`/v3/kafka/local/consumer/${g}/lag`);
        burrowLag += (r.body.status as { totallag: number }).totallag;
      }
      sweeps.push(performance.now() - s0);
    }
    if (burrowLag !== expectedLag)
      console.log(`!! Burrow's total lag ${burrowLag} differs from ${expectedLag}`);
    burrowLine = { rss: rssOf(burrow.pid), reportMs, sweepMs: median(sweeps) };
  }
  cluster.close();

  // Before/after: MONITOR_BENCH_BEFORE names another checkout with its dist/ built (e.g. the commit
  // before a change, from `git archive`); its monitor-child.mjs and ours take turns, exact time lag.
  const beforeDir = process.env.MONITOR_BENCH_BEFORE;
  const beforeAfter: { before: OursResult[]; after: OursResult[] } = { before: [], after: [] };
  const servicesBeforeAfter: { before: number[]; after: number[] } = { before: [], after: [] };
  const beforeAfterHeap = process.env.MONITOR_BENCH_HEAP === 'small' ? 'small' : 'default';
  if (beforeDir) {
    const reps = Number(process.env.MONITOR_BENCH_REPS ?? 5);
    for (let i = 0; i < reps; i++) {
      for (const who of ['before', 'after'] as const) {
        const script =
          who === 'before' ? join(beforeDir, 'bench/monitor/monitor-child.mjs') : 'monitor-child.mjs';
        const c = child(script, [bootstrap, '6', 'exact', beforeAfterHeap]);
        const r = await firstJson<OursResult>(c);
        if (
          r.partitions !== TOPICS * PARTITIONS ||
          r.totalLag !== expectedLag ||
          r.exact !== TOPICS * PARTITIONS
        )
          throw new Error(`${who}: saw ${r.partitions} partitions, lag ${r.totalLag}, ${r.exact} exact`);
        beforeAfter[who].push(r);
        const checkout = who === 'before' ? beforeDir : undefined;
        servicesBeforeAfter[who].push(
          (await runService(bootstrap, TOPICS * PARTITIONS, expectedLag, checkout)).rssMb,
        );
      }
    }
  }

  const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const ratio = (a: number, b: number) =>
    Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}×` : 'n/a';
  const warm = (r: OursResult) => median(r.cycles.slice(1));
  const ours = [exact, exactDefaultHeap, interpolated];
  const row = (name: string, cell: (r: OursResult) => string, burrow = '', vsBurrow = '') =>
    console.log(`| ${name} | ${ours.map(cell).join(' | ')} | ${burrow} | ${vsBurrow} |`);
  console.log(
    `\n${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, load average (1 min) ` +
      `${loadBefore.toFixed(2)} at the start, ${loadAfterOurs.toFixed(2)} after our runs; the monitor runs compiled (dist/); each of our figures is the median of ${RUNS} runs\n`,
  );
  console.log(
    `| ${TOPICS * PARTITIONS} partitions, ${groups.length} groups | Sluice monitor (exact time lag, as \`sluice monitor\` runs: V8 ${SMALL_HEAP_V8_FLAGS}) | Sluice monitor (exact, V8 defaults: in a library user's process) | Sluice monitor (interpolated, ${SMALL_HEAP_V8_FLAGS}) | Burrow 1.2.1 | Burrow ÷ Sluice (exact) |`,
  );
  console.log('|---|---|---|---|---|---|');
  const b = (x: number | undefined) => x ?? Number.NaN;
  row(
    'first full report (ms)',
    (r) => fmt(r.firstFullReportMs),
    fmt(b(burrowLine?.reportMs)),
    ratio(b(burrowLine?.reportMs), exact.firstFullReportMs),
  );
  row(
    `cycle, warm (ms, median of ${5 * RUNS})`,
    (r) => fmt(warm(r)),
    `${fmt(b(burrowLine?.sweepMs))} (HTTP sweep of all groups)`,
    ratio(b(burrowLine?.sweepMs), warm(exact)),
  );
  row('of which reading the cluster (ms)', (r) => fmt(median(r.observeMs.slice(1))));
  row('of which evaluation (ms)', (r) => fmt(median(r.evaluateMs.slice(1))));
  row('one /metrics scrape (ms, 30,000 series)', (r) => fmt(r.scrapeMs));
  row('RSS (MB)', (r) => fmt(r.rssMb), fmt(b(burrowLine?.rss)), ratio(b(burrowLine?.rss), exact.rssMb));
  console.log(
    `| the \`sluice monitor\` service itself (HTTP API, dashboard; every ${SERVICE_INTERVAL_MS} ms): RSS after ${SERVICE_CYCLES} cycles and a scrape (MB) | ${fmt(service.rssMb)} | | | ${fmt(b(burrowLine?.rss))} | ${ratio(b(burrowLine?.rss), service.rssMb)} |`,
  );
  console.log(
    `| the \`sluice monitor\` service: RSS started, before its first cycle / at its peak (MB) | ${fmt(service.startedRssMb)} / ${fmt(service.peakRssMb)} | | | | |`,
  );
  row('RSS above an idle process with the monitor loaded (MB)', (r) => fmt(r.rssMb - baseline.rssMb));
  row('JS heap after GC (MB)', (r) => fmt(r.heapMb), 'n/a (Go)');
  row('partitions with exact lag in seconds', (r) => String(r.exact), 'none (Burrow has no time lag)');
  row('/metrics size (bytes)', (r) => String(r.metricsBytes), 'n/a');
  console.log(
    `\nRSS per run (MB): as \`sluice monitor\` runs ${exact.rssRuns.map((x) => fmt(x)).join(', ')}; V8 defaults ${exactDefaultHeap.rssRuns.map((x) => fmt(x)).join(', ')}; interpolated ${interpolated.rssRuns.map((x) => fmt(x)).join(', ')}; the service ${serviceRuns.map((r) => fmt(r.rssMb)).join(', ')}`,
  );
  console.log(
    `\ngoal: RSS <= 100 MB with exact time lag and a warm cycle < 200 ms: the \`sluice monitor\` service ${fmt(service.rssMb)} MB; its monitor alone (${SMALL_HEAP_V8_FLAGS}) ${fmt(exact.rssMb)} MB / ${fmt(warm(exact))} ms, ` +
      `V8 defaults ${fmt(exactDefaultHeap.rssMb)} MB / ${fmt(warm(exactDefaultHeap))} ms`,
  );
  if (beforeDir) {
    const med = (rs: OursResult[], f: (r: OursResult) => number) => fmt(median(rs.map(f)), 1);
    const load = loadavg()[0].toFixed(2);
    console.log(
      `\nbefore/after, exact time lag, ${beforeAfter.after.length} runs each taken in turns, medians; before = ${beforeDir}; load average (1 min) at the end ${load}\n`,
    );
    console.log('| 10000 partitions, 100 groups | before | after |');
    console.log('|---|---|---|');
    const line = (name: string, f: (r: OursResult) => number) =>
      console.log(`| ${name} | ${med(beforeAfter.before, f)} | ${med(beforeAfter.after, f)} |`);
    line(
      `RSS (MB, ${beforeAfterHeap === 'small' ? `V8 ${SMALL_HEAP_V8_FLAGS}` : 'V8 defaults'})`,
      (r) => r.rssMb,
    );
    line('JS heap after GC (MB)', (r) => r.heapMb);
    line('cycle, warm (ms)', (r) => warm(r));
    line('of which reading the cluster (ms)', (r) => median(r.observeMs.slice(1)));
    line('of which evaluation (ms)', (r) => median(r.evaluateMs.slice(1)));
    line('one /metrics scrape (ms)', (r) => r.scrapeMs);
    console.log(
      `| the \`sluice monitor\` service: RSS after ${SERVICE_CYCLES} cycles and a scrape (MB) | ${fmt(median(servicesBeforeAfter.before), 1)} | ${fmt(median(servicesBeforeAfter.after), 1)} |`,
    );
    console.log(
      `RSS per run: before ${beforeAfter.before.map((r) => fmt(r.rssMb)).join(', ')}; after ${beforeAfter.after.map((r) => fmt(r.rssMb)).join(', ')}`,
    );
    console.log(
      `the service's RSS per run: before ${servicesBeforeAfter.before.map((x) => fmt(x)).join(', ')}; after ${servicesBeforeAfter.after.map((x) => fmt(x)).join(', ')}`,
    );
  }
} finally {
  for (const c of cleanup) await c().catch(() => undefined);
  for (const c of children) c.kill('SIGTERM');
}
