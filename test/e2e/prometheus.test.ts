import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, Lab, MAX_CONSUMERS } from '../../src/lab/lab.js';
import {
  type RunningPrometheus,
  requirePrometheus,
  rewriteScrapeConfig,
  type Sample,
  startPrometheus,
} from '../helpers/prometheus.js';
import {
  type DashboardQuery,
  dashboardQueries,
  dashboardVariables,
  documentedMetrics,
  legendLabels,
  parseLabelValues,
  readAlertRules,
  readDashboard,
  substituteVariables,
} from '../helpers/promql.js';
import { get, post, sleep, until } from '../lab/helpers.js';

/**
 * The shipped Prometheus files against a running lab, through a real Prometheus (Debian's 2.42) started with
 * docs/grafana/prometheus.yml (targets moved to the lab's ports, intervals shortened) and the rules it loads.
 * The lab is driven through three moments: steady production that two consumers keep up with; a burst held
 * back by a paused consumer (lag above 500, 429s from the producer's edge); the drain once it resumes. At each
 * moment every PromQL expression of the Grafana dashboard (read from the JSON, `$group` as "All") is evaluated
 * through /api/v1/query and held against what the lab's own /lag and /stats said over the same seconds:
 *
 * - a gauge must lie within the range the lab reported between one scrape interval (plus a poll) before the
 *   query and just after it, widened by a stated slack for the figures that move between two polls;
 * - a rate(x[w]) must equal the lab's counter increase over the same w seconds divided by w, within 5 % plus
 *   what Prometheus's edge extrapolation can move (the counter's change over one scrape interval at each
 *   end of the window) plus one event;
 * - a series must be there whenever the lab reported the figure throughout that time, and absent when it
 *   never did; every series carries the labels its legend prints.
 *
 * The running Prometheus must fire SluiceLagCritical (and SluicePartitionStalled) while the burst is held, and
 * resolve both after the drain. The kafka-lag-exporter names get one query each, and the catalogue in
 * docs/monitor.md must match what Prometheus scraped (names, types, help texts, labels).
 */

const SCRAPE_MS = 1000;
const MONITOR_MS = 250;
const POLL_MS = 100;
/** How far back a scraped figure can date from: one scrape, one poll of ours, and a little scheduling. */
const STALENESS_MS = SCRAPE_MS + POLL_MS + 300;
const PROCESSING_MS = 10; // 100 orders/s per consumer
const STEADY = { rate_ms: 100, batch_size: 4 }; // 40 orders/s, well under the two consumers' 200/s
const BURST = 2000; // about 1,000 lands on the paused consumer's three partitions: above the critical 500
const REFUSED_REQUESTS = 10;

// biome-ignore lint/suspicious/noExplicitAny: JSON from the lab under test
type Json = any;
type Labels = Record<string, string>;

interface Reading {
  /** When the poll was sent and when its last answer arrived. */
  sent: number;
  done: number;
  lag: Json;
  producer: Json;
  consumers: Json[];
}

/** Per series key ("" for a single aggregate), the lab's figure in one reading; null = not reported. */
type Read = (r: Reading) => Record<string, number | null>;

type Figure =
  | { kind: 'gauge'; key: (l: Labels) => string; read: Read; slack: number; why?: string }
  | { kind: 'rate'; key: (l: Labels) => string; count: (r: Reading) => Record<string, number> }
  | { kind: 'p99' };

let GROUP = '';
const group = (r: Reading) => r.lag.groups.find((g: Json) => g.group === GROUP);
const single = (v: number | null) => ({ '': v });
const none = () => '';
const partitionKey = (l: Labels) => `${l.topic}-${l.partition}`;
const byPartition = (field: string) => (r: Reading) =>
  Object.fromEntries(
    r.lag.partitions
      .filter((p: Json) => p.group === GROUP)
      .map((p: Json) => [`${p.topic}-${p.partition}`, p[field] as number | null]),
  );
const byGroup = (field: string) => (r: Reading) =>
  Object.fromEntries(r.lag.groups.map((g: Json) => [g.group, g[field] as number | null]));
const byConsumer = (read: (c: Json) => number) => (r: Reading) =>
  Object.fromEntries(r.consumers.map((c: Json) => [c.instance, read(c)]));
const pausedCount = (r: Reading) => r.consumers.filter((c: Json) => c.paused).length;

/**
 * What each dashboard query shows, in the lab's own figures, keyed by panel title and legend (the queries
 * themselves are read from the dashboard). A query without an entry fails the test: add one.
 */
const FIGURES: Record<string, Figure> = {
  'Status · status': { kind: 'gauge', key: none, read: (r) => single(group(r).status_code), slack: 0 },
  'Total lag · lag': { kind: 'gauge', key: none, read: (r) => single(group(r).total_lag), slack: 0 },
  'Lag rate of change · msg/s': {
    kind: 'gauge',
    key: none,
    read: (r) => single(group(r).rate_of_change),
    slack: 1e-9,
  },
  'Time to drain · drain': {
    kind: 'gauge',
    key: none,
    read: (r) => single(group(r).time_to_drain_seconds),
    slack: 1e-9,
  },
  'Consumers paused · paused': { kind: 'gauge', key: none, read: (r) => single(pausedCount(r)), slack: 0 },
  'Lag per partition · {{topic}}-{{partition}}': {
    kind: 'gauge',
    key: partitionKey,
    read: byPartition('lag'),
    slack: 0,
  },
  'Lag per partition · total': {
    kind: 'gauge',
    key: none,
    read: (r) => single(group(r).total_lag),
    slack: 0,
  },
  'Production vs consumption · production': {
    kind: 'rate',
    key: none,
    count: (r) => single(r.producer.produced) as Record<string, number>,
  },
  'Production vs consumption · consumption': {
    kind: 'rate',
    key: none,
    count: (r) =>
      single(r.consumers.reduce((a: number, c: Json) => a + c.consumed, 0)) as Record<string, number>,
  },
  'Lag rate of change · {{group}}': {
    kind: 'gauge',
    key: (l) => l.group,
    read: byGroup('rate_of_change'),
    slack: 1e-9,
  },
  'Lag in seconds · {{group}} (oldest unconsumed)': {
    kind: 'gauge',
    key: (l) => l.group,
    read: byGroup('max_lag_seconds'),
    slack: 1e-9,
  },
  'Time to drain · {{group}}': {
    kind: 'gauge',
    key: (l) => l.group,
    read: byGroup('time_to_drain_seconds'),
    slack: 1e-9,
  },
  'Consumer in-flight and rate · {{consumer}} in flight': {
    kind: 'gauge',
    key: (l) => l.consumer,
    read: byConsumer((c) => c.in_flight),
    slack: 10,
    why: 'orders enter and leave in-flight between two polls; 10 is the consumer’s max_in_flight',
  },
  'Consumer in-flight and rate · {{consumer}} msg/s': {
    kind: 'gauge',
    key: (l) => l.consumer,
    read: byConsumer((c) => c.rate),
    slack: 5,
    why: 'a rate over the last 5 s moves by up to a few orders/s between two polls',
  },
  'Processing time and pauses · {{consumer}} ms/order': {
    kind: 'gauge',
    key: (l) => l.consumer,
    read: byConsumer((c) => c.processing_time_ms),
    slack: 0,
  },
  'Processing time and pauses · {{consumer}} paused': {
    kind: 'gauge',
    key: (l) => l.consumer,
    read: byConsumer((c) => (c.paused ? 1 : 0)),
    slack: 0,
  },
  'Producer buffer and refusals · buffered bytes': {
    kind: 'gauge',
    key: none,
    read: (r) => single(r.producer.buffer.buffered_bytes),
    slack: 4096,
    why: 'a tick of 4 orders (about 1 KiB) is buffered and acknowledged between two polls',
  },
  'Producer buffer and refusals · 429 {{reason}}/s': {
    kind: 'rate',
    key: (l) => l.reason,
    count: (r) => r.producer.rejected,
  },
  'Producer buffer and refusals · errors/s': {
    kind: 'rate',
    key: none,
    count: (r) => single(r.producer.errors) as Record<string, number>,
  },
  'Partition window status · {{topic}}-{{partition}}': {
    kind: 'gauge',
    key: partitionKey,
    read: byPartition('status_code'),
    slack: 0,
  },
  'Monitor collection time · p99': { kind: 'p99' },
  'Monitor collection time · last': {
    kind: 'gauge',
    key: none,
    read: (r) => single(r.lag.collection.duration_ms / 1000),
    slack: 0.001,
    why: '/lag rounds the duration to the millisecond',
  },
  'annotation · Consumers paused': {
    kind: 'gauge',
    key: none,
    read: (r) => single(pausedCount(r) > 0 ? pausedCount(r) : null),
    slack: 0,
  },
  'annotation · Critical': {
    kind: 'gauge',
    key: none,
    read: (r) => single(group(r).status_code === 2 ? 2 : null),
    slack: 0,
  },
};

/** kafka-lag-exporter's names (docs/monitor.md marks them) and the lab figure each carries. */
const EXPORTER_FIGURES: Record<string, { key: (l: Labels) => string; read: Read }> = {
  kafka_consumergroup_group_lag_seconds: { key: partitionKey, read: byPartition('lag_seconds') },
  kafka_consumergroup_group_max_lag_seconds: { key: (l) => l.group, read: byGroup('max_lag_seconds') },
};

/** The lab's answers, polled every POLL_MS while the test runs. */
class LabRecorder {
  readonly readings: Reading[] = [];
  private running = true;
  private loop: Promise<void>;

  constructor(private readonly lab: Lab) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const u = this.lab.urls;
    while (this.running) {
      const sent = Date.now();
      try {
        const [lag, producer, ...consumers] = await Promise.all(
          [`${u.monitor}/lag`, `${u.producer}/stats`, ...u.consumers.map((c) => `${c}/stats`)].map(
            async (url) => (await get(url)).body,
          ),
        );
        this.readings.push({ sent, done: Date.now(), lag, producer, consumers });
      } catch {
        // A poll that fails leaves a gap; the comparisons say so if it matters.
      }
      await sleep(POLL_MS);
    }
  }

  latest(): Reading {
    const r = this.readings.at(-1);
    if (!r) throw new Error('no reading of the lab yet');
    return r;
  }

  /** Readings whose poll overlapped [from, to]. */
  between(from: number, to: number): Reading[] {
    return this.readings.filter((r) => r.done >= from && r.sent <= to);
  }

  /** A counter at time t, interpolated between the readings around it. */
  counterAt(count: (r: Reading) => Record<string, number>, key: string, t: number): number {
    const at = (r: Reading) => (r.sent + r.done) / 2;
    const after = this.readings.findIndex((r) => at(r) >= t);
    if (after <= 0) throw new Error(`no reading of the lab around ${new Date(t).toISOString()}`);
    const a = this.readings[after - 1];
    const b = this.readings[after];
    const va = count(a)[key] ?? 0;
    const vb = count(b)[key] ?? 0;
    return va + ((vb - va) * (t - at(a))) / (at(b) - at(a));
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

interface AlertSeen {
  alertname: string;
  labels: Labels;
  pendingAt?: number;
  firingAt?: number;
  resolvedAt?: number;
}

/** Prometheus's active alerts, polled; each alert's first pending, first firing and disappearance. */
class AlertRecorder {
  readonly seen = new Map<string, AlertSeen>();
  private running = true;
  private loop: Promise<void>;

  constructor(private readonly prom: RunningPrometheus) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const now = Date.now();
        const active = await this.prom.alerts();
        const keys = new Set<string>();
        for (const a of active) {
          const key = JSON.stringify(a.labels);
          keys.add(key);
          let s = this.seen.get(key);
          if (!s || s.resolvedAt !== undefined) {
            s = { alertname: a.labels.alertname, labels: a.labels };
            this.seen.set(key, s);
          }
          if (a.state === 'pending') s.pendingAt ??= now;
          if (a.state === 'firing') s.firingAt ??= now;
        }
        for (const [key, s] of this.seen)
          if (!keys.has(key) && s.resolvedAt === undefined) s.resolvedAt = now;
      } catch {
        // Prometheus stopping at the end of the run.
      }
      await sleep(250);
    }
  }

  named(alertname: string): AlertSeen[] {
    return [...this.seen.values()].filter((s) => s.alertname === alertname);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** One query's outcome at one moment, for the closing report. */
interface Evaluated {
  moment: string;
  name: string;
  expr: string;
  series: number;
  shown: string;
}

describe('the shipped dashboard and alerting rules on a real Prometheus scraping a lab', () => {
  let lab: Lab;
  let prom: RunningPrometheus;
  let recorder: LabRecorder;
  let alerts: AlertRecorder;
  let queries: DashboardQuery[];
  let startedAt = 0;
  let buckets: number[] = [];
  const evaluated: Evaluated[] = [];
  const everReturned = new Set<string>();
  const timeline: Record<string, number> = {};

  beforeAll(async () => {
    requirePrometheus();
    lab = await Lab.start({
      memory: true,
      ports: { broker: 0, producer: 0, consumer: 0, monitor: 0 },
      consumers: 2,
      processingTimeMs: PROCESSING_MS,
      monitorIntervalMs: MONITOR_MS,
      // The edge refuses normal work once the group is as far behind as the lab's critical level.
      admission: { maxLag: 500 },
    });
    GROUP = lab.options.groupId;
    const dashboard = readDashboard();
    const vars = Object.fromEntries(dashboardVariables(dashboard).map((v) => [v.name, v.allValue]));
    queries = dashboardQueries(dashboard).map((q) => ({ ...q, expr: substituteVariables(q.expr, vars) }));
    const missing = queries.filter((q) => !FIGURES[q.name]).map((q) => q.name);
    if (missing.length > 0)
      throw new Error(`dashboard queries this test has no lab figure for: ${missing.join(', ')}`);

    await post(`${lab.urls.producer}/config`, { ...STEADY, running: true });
    recorder = new LabRecorder(lab);
    startedAt = Date.now();
    prom = await startPrometheus(
      rewriteScrapeConfig({
        target: (shipped) => labAddress(lab, shipped),
        scrapeInterval: `${SCRAPE_MS}ms`,
        evaluationInterval: `${SCRAPE_MS}ms`,
      }),
    );
    alerts = new AlertRecorder(prom);
  }, 60_000);

  afterAll(async () => {
    await alerts?.stop();
    await recorder?.stop();
    await prom?.stop();
    await lab?.stop();
    report(evaluated, alerts, timeline);
  });

  it('scrapes every service the shipped configuration names, at the lab’s ports', async () => {
    const targets = await allTargetsScraped();
    const jobs = Object.fromEntries(
      ['sluice-lag-monitor', 'sluice-producer', 'sluice-consumer'].map((j) => [
        j,
        targets.filter((t) => t.job === j).length,
      ]),
    );
    expect(jobs).toEqual({
      'sluice-lag-monitor': 1,
      'sluice-producer': 1,
      'sluice-consumer': lab.consumers.length,
    });
    const rules = await fetch(`${prom.url}/api/v1/rules`).then((r) => r.json() as Promise<Json>);
    const loaded = rules.data.groups.flatMap((g: Json) => g.rules.map((r: Json) => r.name)).sort();
    expect(loaded).toEqual(
      readAlertRules()
        .map((r) => r.alert)
        .sort(),
    );
  });

  it('steady production: every dashboard query agrees with the lab', async () => {
    const window = Math.max(
      ...queries.filter((q) => FIGURES[q.name].kind === 'rate').map((q) => rangeSeconds(q.expr) ?? 0),
    );
    // rate() over w seconds means w seconds of data: wait until Prometheus holds them for every target.
    await until(
      `${window} s of scrapes`,
      async () => {
        const [held] = await prom.query(`min(count_over_time(up[${window + 1}s]))`);
        return (held?.value ?? 0) >= window + 1 ? true : undefined;
      },
      (window + 20) * 1000,
    );
    const variable = dashboardVariables(readDashboard())[0];
    const { match, label } = parseLabelValues(variable.query);
    expect(await prom.labelValues(label, match)).toEqual([GROUP]);
    buckets = (await prom.labelValues('le', 'sluice_monitor_collection_duration_seconds_bucket'))
      .map(Number)
      .sort((a, b) => a - b);
    await evaluateAll('steady');
  }, 90000);

  it('a burst held by a paused consumer: lag above 500, 429s, and the critical alert fires', async () => {
    const [c1] = lab.urls.consumers;
    await post(`${lab.urls.producer}/stop`);
    await post(`${c1}/pause`);
    timeline.burst = Date.now();
    expect((await post(`${lab.urls.producer}/burst`, { count: BURST, delay_ms: 0 })).status).toBe(200);
    await until('the lab to report lag above 500', async () =>
      group(recorder.latest()).total_lag > 500 ? true : undefined,
    );
    timeline.labCritical = recorder.latest().done;
    for (let i = 0; i < REFUSED_REQUESTS; i++)
      expect((await post(`${lab.urls.producer}/produce`, {})).status).toBe(429);
    const fired = (name: string) => alerts.named(name).filter((a) => a.firingAt !== undefined);
    const paused: number[] = recorder.latest().consumers.find((c: Json) => c.paused).assigned_partitions;
    const stalled = () => fired('SluicePartitionStalled').map((a) => Number(a.labels.partition));
    // Each partition goes STALL on its own cycle, so each alert fires on its own evaluation.
    await until(
      'SluiceLagCritical, and SluicePartitionStalled on each paused partition, firing',
      async () =>
        fired('SluiceLagCritical').length > 0 && paused.every((p) => stalled().includes(p))
          ? true
          : undefined,
      40_000,
    );
    expect(fired('SluiceLagCritical').map((a) => [a.labels.group, a.labels.severity])).toEqual([
      [GROUP, 'critical'],
    ]);
    expect(stalled().sort(), 'the paused consumer’s partitions, no other').toEqual([...paused].sort());
    // The other consumer has drained its share and the monitor's window has gone flat: a still picture.
    await until(
      'the held lag to settle',
      async () => {
        const recent = recorder.between(Date.now() - STALENESS_MS, Date.now());
        const lags = new Set(recent.map((r) => group(r).total_lag));
        return recent.length > 3 && lags.size === 1 && recent.every((r) => group(r).rate_of_change === 0)
          ? true
          : undefined;
      },
      30_000,
    );
    timeline.heldLagSettled = recorder.latest().done;
    await evaluateAll('burst held');
    await sameWithOneGroupSelected();
    expect(recorder.latest().producer.rejected.lag).toBe(REFUSED_REQUESTS);
  }, 60000);

  it('kafka-lag-exporter’s names, one query each, carry the lab’s lag in seconds', async () => {
    const exporterNames = documentedMetrics()
      .filter((m) => m.origin === 'kafka-lag-exporter')
      .map((m) => m.name)
      .sort();
    expect(exporterNames).toEqual(Object.keys(EXPORTER_FIGURES).sort());
    const at = Date.now();
    const failures: string[] = [];
    for (const name of exporterNames) {
      const samples = await prom.query(name, at);
      const f = EXPORTER_FIGURES[name];
      failures.push(...(await compareGauge(name, { kind: 'gauge', slack: 1e-9, ...f }, samples, at)));
      evaluated.push({
        moment: 'burst held',
        name,
        expr: name,
        series: samples.length,
        shown: show(samples),
      });
      expect(samples.length, name).toBeGreaterThan(0);
    }
    expect(failures).toEqual([]);
  });

  it('the drain: every query agrees again, and both alerts resolve', async () => {
    const [c1] = lab.urls.consumers;
    await post(`${c1}/resume`);
    timeline.resumed = Date.now();
    // Mid-drain: the lab has reported a drain time for longer than a scrape can lag behind.
    await until(
      'a drain the lab has reported for a while',
      async () => {
        const recent = recorder.between(Date.now() - STALENESS_MS, Date.now());
        const draining = (r: Reading) =>
          r.sent > timeline.resumed && (group(r).time_to_drain_seconds ?? 0) > 0;
        return recent.length > 3 && recent.every(draining) ? true : undefined;
      },
      20_000,
    );
    await evaluateAll('draining');
    await until('the lab to report lag 0', async () =>
      group(recorder.latest()).total_lag === 0 ? true : undefined,
    );
    timeline.labDrained = recorder.latest().done;
    const resolved = (name: string) => alerts.named(name).every((a) => a.resolvedAt !== undefined);
    await until(
      'both alerts resolved',
      async () => (resolved('SluiceLagCritical') && resolved('SluicePartitionStalled') ? true : undefined),
      20_000,
    );
    const critical = alerts.named('SluiceLagCritical')[0];
    const belowCritical = recorder.readings.find(
      (r) => r.sent > timeline.resumed && group(r).total_lag <= 500,
    );
    expect(critical.resolvedAt).toBeGreaterThan(belowCritical?.sent ?? Number.POSITIVE_INFINITY);
    timeline.labBelow500 = belowCritical?.done ?? 0;
  }, 60000);

  it('every dashboard query returned data with its legend’s labels at some moment', () => {
    const never = queries.filter((q) => !everReturned.has(q.name)).map((q) => q.name);
    expect(never).toEqual([]);
  });

  it('the catalogue in docs/monitor.md is what Prometheus scraped: names, types, help and labels', async () => {
    await allTargetsScraped();
    const docs = documentedMetrics();
    const metadata = await prom.metadata();
    expect(Object.keys(metadata).sort(), 'metrics scraped vs documented').toEqual(
      docs.map((m) => m.name).sort(),
    );
    const problems: string[] = [];
    for (const m of docs) {
      const meta = metadata[m.name]?.[0];
      if (meta?.type !== m.type) problems.push(`${m.name}: type ${meta?.type}, documented ${m.type}`);
      if (meta?.help !== m.help) problems.push(`${m.name}: help "${meta?.help}", documented "${m.help}"`);
      const labels = await scrapedLabels(m.name, m.type);
      if (labels === null) {
        // Never had a sample in this run (a partition without a leader): its registered label names.
        const declared = registeredLabels(lab, m.name);
        if (declared.sort().join() !== [...m.labels].sort().join())
          problems.push(`${m.name}: declares ${declared}, documented ${m.labels}`);
      } else if (labels.join() !== [...m.labels].sort().join())
        problems.push(`${m.name}: scraped with {${labels}}, documented {${m.labels}}`);
    }
    expect(problems).toEqual([]);
  });

  /** Each variable set to its one value (regex-escaped, as Grafana sends it) shows what "All" shows. */
  async function sameWithOneGroupSelected(): Promise<void> {
    const dashboard = readDashboard();
    const all: Record<string, string> = {};
    const one: Record<string, string> = {};
    for (const v of dashboardVariables(dashboard)) {
      const { match, label } = parseLabelValues(v.query);
      const [value] = await prom.labelValues(label, match);
      all[v.name] = v.allValue;
      one[v.name] = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    const at = Date.now();
    const sorted = (xs: Sample[]) => xs.map((x) => JSON.stringify(x)).sort();
    for (const q of dashboardQueries(dashboard).filter((x) => substituteVariables(x.expr, all) !== x.expr)) {
      const [everything, selected] = await Promise.all([
        prom.query(substituteVariables(q.expr, all), at),
        prom.query(substituteVariables(q.expr, one), at),
      ]);
      expect(sorted(selected), `${q.name} with ${JSON.stringify(one)}`).toEqual(sorted(everything));
    }
  }

  function allTargetsScraped() {
    return until('every target scraped once', async () => {
      const t = await prom.targets();
      return t.length > 0 && t.every((x) => x.health === 'up') ? t : undefined;
    });
  }

  async function scrapedLabels(name: string, type: string): Promise<string[] | null> {
    const series = await prom.series(type === 'histogram' ? `${name}_count` : name, startedAt);
    if (series.length === 0) return null;
    const names = new Set(series.flatMap((s) => Object.keys(s)));
    for (const implicit of ['__name__', 'job', 'instance']) names.delete(implicit);
    return [...names].sort();
  }

  /** Evaluates every dashboard query at one instant and compares each with the lab's figures. */
  async function evaluateAll(moment: string): Promise<void> {
    const at = Date.now();
    const results = await Promise.all(queries.map((q) => prom.query(q.expr, at)));
    // The comparison takes the lab's figures from just after the instant too.
    await until('a reading after the query', async () =>
      recorder.latest().sent > at + 200 ? true : undefined,
    );
    const failures: string[] = [];
    queries.forEach((q, i) => {
      failures.push(...compare(q, results[i], at));
      if (results[i].length > 0) everReturned.add(q.name);
      evaluated.push({
        moment,
        name: q.name,
        expr: q.expr,
        series: results[i].length,
        shown: show(results[i]),
      });
    });
    expect(failures, `at "${moment}"`).toEqual([]);
  }

  function compare(q: DashboardQuery, samples: Sample[], at: number): string[] {
    const f = FIGURES[q.name];
    const problems: string[] = [];
    for (const s of samples)
      for (const l of legendLabels(q.legend))
        if (s.metric[l] === undefined)
          problems.push(`${q.name}: a series without "${l}" (${JSON.stringify(s.metric)})`);
    if (f.kind === 'gauge') return [...problems, ...compareGaugeSync(q.name, f, samples, at)];
    if (f.kind === 'rate') return [...problems, ...compareRate(q, f, samples, at)];
    return [...problems, ...compareP99(q, samples, at)];
  }

  async function compareGauge(
    name: string,
    f: Extract<Figure, { kind: 'gauge' }>,
    samples: Sample[],
    at: number,
  ): Promise<string[]> {
    await until('a reading after the query', async () =>
      recorder.latest().sent > at + 200 ? true : undefined,
    );
    return compareGaugeSync(name, f, samples, at);
  }

  function compareGaugeSync(
    name: string,
    f: Extract<Figure, { kind: 'gauge' }>,
    samples: Sample[],
    at: number,
  ): string[] {
    const readings = recorder.between(at - STALENESS_MS, at + 200);
    if (readings.length === 0) return [`${name}: no reading of the lab around the query`];
    const problems: string[] = [];
    const reported = new Map<string, (number | null)[]>();
    for (const r of readings)
      for (const [k, v] of Object.entries(f.read(r))) reported.set(k, [...(reported.get(k) ?? []), v]);
    const seen = new Set<string>();
    for (const s of samples) {
      const k = f.key(s.metric);
      seen.add(k);
      const values = (reported.get(k) ?? []).filter((v): v is number => v !== null);
      if (values.length === 0) {
        problems.push(`${name}{${k}} = ${s.value}, but the lab reported no such figure`);
        continue;
      }
      const lo = Math.min(...values) - f.slack;
      const hi = Math.max(...values) + f.slack;
      if (!(s.value >= lo && s.value <= hi))
        problems.push(
          `${name}{${k}} = ${s.value}, the lab reported ${lo + f.slack}..${hi - f.slack} (slack ${f.slack})`,
        );
    }
    for (const [k, values] of reported)
      if (!seen.has(k) && values.length === readings.length && values.every((v) => v !== null))
        problems.push(`${name}{${k}}: no data, while the lab reported ${values.join(', ')}`);
    return problems;
  }

  function compareRate(
    q: DashboardQuery,
    f: Extract<Figure, { kind: 'rate' }>,
    samples: Sample[],
    at: number,
  ): string[] {
    const w = rangeSeconds(q.expr);
    if (w === undefined) return [`${q.name}: no [range] in ${q.expr}`];
    const keys = Object.keys(f.count(recorder.latest()));
    const problems: string[] = [];
    for (const k of keys) {
      const s = samples.find((x) => f.key(x.metric) === k);
      if (!s) {
        problems.push(`${q.name}{${k}}: no data`);
        continue;
      }
      const c = (t: number) => recorder.counterAt(f.count, k, t);
      const start = at - w * 1000;
      const expected = (c(at) - c(start)) / w;
      const edges = c(start + SCRAPE_MS) - c(start - SCRAPE_MS) + (c(at) - c(at - SCRAPE_MS));
      const tolerance = 0.05 * Math.abs(expected) + edges / w + 1 / w;
      if (Math.abs(s.value - expected) > tolerance)
        problems.push(`${q.name}{${k}} = ${s.value}, the lab's counters give ${expected} ± ${tolerance}`);
    }
    return problems;
  }

  /** p99 of cycle durations: within the buckets spanning what /lag reported over the query's window. */
  function compareP99(q: DashboardQuery, samples: Sample[], at: number): string[] {
    const name = q.name;
    if (samples.length !== 1) return [`${name}: ${samples.length} series, want 1`];
    const v = samples[0].value;
    const w = rangeSeconds(q.expr) ?? 60;
    const durations = recorder.between(at - w * 1000, at).map((r) => r.lag.collection.duration_ms / 1000);
    const max = Math.max(...durations);
    // Two buckets of slack above: our polls see most cycles, not every one, and may miss the slowest.
    const i = buckets.findIndex((b) => b >= max);
    const bound = i < 0 ? Number.POSITIVE_INFINITY : (buckets[Math.min(i + 2, buckets.length - 1)] ?? max);
    return v > 0 && v <= bound
      ? []
      : [`${name} = ${v}, the lab's cycles took up to ${max} s (bound ${bound})`];
  }
});

/** Where the lab listens for a target of the shipped file: its default port names the service. */
function labAddress(lab: Lab, shipped: string): string | null {
  const port = Number(shipped.split(':').pop());
  const hostPort = (url: string | null) => (url ? new URL(url).host : null);
  if (port === DEFAULT_PORTS.monitor) return hostPort(lab.urls.monitor);
  if (port === DEFAULT_PORTS.producer) return hostPort(lab.urls.producer);
  const consumer = port - DEFAULT_PORTS.consumer;
  if (consumer >= 0 && consumer < MAX_CONSUMERS) return hostPort(lab.urls.consumers[consumer] ?? null); // not started: left out
  throw new Error(`docs/grafana/prometheus.yml scrapes ${shipped}, which is no lab service`);
}

/** The range of the first range selector, in seconds ([30s], [1m]). */
function rangeSeconds(expr: string): number | undefined {
  const m = /\[(\d+)(s|m)\]/.exec(expr);
  return m ? Number(m[1]) * (m[2] === 'm' ? 60 : 1) : undefined;
}

/** The labels of the registered metric: for a series the run never produced. */
function registeredLabels(lab: Lab, name: string): string[] {
  const registries = [
    lab.monitor?.monitor.metrics.registry,
    lab.producer?.producer.metrics,
    ...lab.consumers.map((c) => c.consumer.metrics),
  ];
  for (const r of registries) {
    const m = r?.getSingleMetric(name) as unknown as { labelNames?: string[] } | undefined;
    if (m) return [...(m.labelNames ?? [])];
  }
  return [];
}

function show(samples: Sample[]): string {
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(3));
  const labelsOf = (m: Labels) =>
    Object.entries(m)
      .filter(([k]) => !['__name__', 'job', 'instance'].includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  return samples.length === 0
    ? '(no data)'
    : samples.map((s) => `${labelsOf(s.metric) || '∅'}: ${fmt(s.value)}`).join('; ');
}

function report(
  evaluated: Evaluated[],
  alerts: AlertRecorder | undefined,
  timeline: Record<string, number>,
): void {
  const t0 = timeline.burst ?? 0;
  const rel = (t?: number) => (t === undefined ? '-' : `${((t - t0) / 1000).toFixed(1)} s`);
  const lines = ['', 'Prometheus: dashboard queries evaluated (moment | query | series | values)'];
  for (const e of evaluated) lines.push(`  ${e.moment} | ${e.name} | ${e.expr} | ${e.series} | ${e.shown}`);
  lines.push('Lab timeline, from the burst:');
  for (const [k, v] of Object.entries(timeline)) lines.push(`  ${k}: ${rel(v)}`);
  lines.push('Alerts seen (pending / firing / resolved, from the burst):');
  for (const a of alerts?.seen.values() ?? []) {
    const where = Object.entries(a.labels)
      .filter(([k]) => ['group', 'topic', 'partition', 'consumer'].includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    lines.push(`  ${a.alertname}{${where}}: ${rel(a.pendingAt)} / ${rel(a.firingAt)} / ${rel(a.resolvedAt)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
