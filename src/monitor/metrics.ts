import type { ClusterReport } from './reports.js';

/**
 * The monitor's Prometheus metrics (the service exposes them at /metrics). Names: the lab's
 * (kafka_consumer_group_lag_total, kafka_consumer_group_lag, kafka_lag_status, kafka_lag_rate_of_change),
 * kafka-lag-exporter's for lag in seconds, and Sluice's for the rest.
 *
 * The text is written straight from the latest cycle when Prometheus scrapes, in the exposition format
 * prom-client writes (same order, escaping and number formatting; test/monitor/metrics-text.test.ts
 * holds the two together). prom-client is not used here: at 10,000 partitions its per-series objects
 * (label objects and hash strings for 30,000 series) and the module itself were ~25 MB of the monitor's
 * resident memory. A deleted group or partition disappears from the next scrape instead of freezing
 * at its last value.
 */

export interface MetricsInput {
  groups: {
    group: string;
    total_lag: number;
    status_code: number;
    rate_of_change: number;
    time_to_drain_seconds: number | null;
    max_lag_seconds: number | null;
  }[];
  partitions: {
    group: string;
    topic: string;
    partition: number;
    lag: number | null;
    lag_seconds: number | null;
    status_code: number;
  }[];
  overall: { total_lag: number; status_code: number; rate_of_change: number };
  collectionSeconds: number;
  /** Absent or null: no cluster series this cycle. */
  cluster?: ClusterReport | null;
}

/** One metric's declaration: what `getSingleMetric` answers and the HELP/TYPE lines are made of. */
export interface MetricDeclaration {
  name: string;
  help: string;
  type: 'gauge' | 'histogram';
  labelNames: string[];
}

/** The slice of prom-client's Registry the monitor's callers use (the lab service, tests). */
export interface MetricsRegistry {
  readonly contentType: string;
  /** The whole exposition text. */
  metrics(): Promise<string>;
  getSingleMetric(name: string): MetricDeclaration | undefined;
}

const gauge = (name: string, help: string, labelNames: string[] = []): MetricDeclaration => ({
  name,
  help,
  type: 'gauge',
  labelNames,
});

/** In exposition order (prom-client's order: registration order). */
const DECLARATIONS = {
  lagTotal: gauge(
    'kafka_consumer_group_lag_total',
    'Messages behind, summed over the partitions of a consumer group (group="" sums all groups)',
    ['group'],
  ),
  lag: gauge(
    'kafka_consumer_group_lag',
    'Messages behind per partition: log end offset minus committed offset',
    ['group', 'topic', 'partition'],
  ),
  status: gauge('kafka_lag_status', 'Lag status: 0=ok, 1=warning, 2=critical (group="" is the worst group)', [
    'group',
  ]),
  rate: gauge(
    'kafka_lag_rate_of_change',
    'Lag growth in messages per second (negative: shrinking), least-squares over the window',
    ['group'],
  ),
  lagSeconds: gauge(
    'kafka_consumergroup_group_lag_seconds',
    'Age of the oldest unconsumed record per partition (seconds); absent when unknown',
    ['group', 'topic', 'partition'],
  ),
  maxLagSeconds: gauge(
    'kafka_consumergroup_group_max_lag_seconds',
    'Largest lag in seconds over the partitions of a group',
    ['group'],
  ),
  drain: gauge(
    'kafka_consumer_group_time_to_drain_seconds',
    'Lag divided by the net drain rate; absent when lag is not draining',
    ['group'],
  ),
  partitionStatus: gauge(
    'kafka_consumer_group_partition_status',
    'Per-partition window status: 0=OK, 1=WARN, 2=STOP/STALL/REWIND',
    ['group', 'topic', 'partition'],
  ),
  duration: {
    name: 'sluice_monitor_collection_duration_seconds',
    help: 'Time one collection cycle took',
    type: 'histogram',
    labelNames: [],
  } as MetricDeclaration,
  lastDuration: gauge(
    'sluice_monitor_last_collection_duration_seconds',
    'Time the last collection cycle took',
  ),
  brokerUp: gauge(
    'sluice_monitor_broker_up',
    '1 while a broker seen by the monitor is listed and answers; 0 when unreachable or missing from metadata',
    ['broker'],
  ),
  leaderless: gauge(
    'sluice_monitor_partition_without_leader',
    '1 for each partition whose metadata names no leader (absent otherwise)',
    ['topic', 'partition'],
  ),
  leaderlessTotal: gauge(
    'sluice_monitor_partitions_without_leader',
    'Partitions whose metadata names no leader',
  ),
};

export const COLLECTION_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** prom-client's `escapeString` (HELP text and label values) and its label-value quote escaping. */
const escapeString = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => escapeString(s).replace(/"/g, '\\"');

/** prom-client's number formatting ("Nan" is its spelling). */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}

export class MonitorMetrics {
  readonly registry: MetricsRegistry;
  private latest: MetricsInput | null = null;
  private lastDurationSeconds = 0;
  /** The histogram's cumulative state: per-bucket counts (not cumulative), sum and count. */
  private readonly bucketCounts = new Array<number>(COLLECTION_DURATION_BUCKETS.length).fill(0);
  private durationSum = 0;
  private durationCount = 0;

  constructor() {
    const byName = new Map(Object.values(DECLARATIONS).map((d) => [d.name, d]));
    this.registry = {
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      metrics: async () => this.text(),
      getSingleMetric: (name) => {
        const d = byName.get(name);
        return d && { ...d, labelNames: [...d.labelNames] };
      },
    };
  }

  /** Records a cycle's figures; the series are written from them at the next scrape. */
  update(m: MetricsInput): void {
    this.latest = m;
    const s = m.collectionSeconds;
    const i = COLLECTION_DURATION_BUCKETS.findIndex((b) => s <= b);
    if (i >= 0) this.bucketCounts[i]++;
    this.durationSum += s;
    this.durationCount++;
    this.lastDurationSeconds = s;
  }

  /**
   * The exposition text: each metric's HELP and TYPE lines and series, metrics apart by a blank line.
   * Built as pieces joined once (one flat string, no intermediate line strings), with each partition's
   * labels made once for its three series: at 30,000 series a scrape's garbage is most of the monitor's
   * peak memory.
   */
  private text(): string {
    const m = this.latest;
    const D = DECLARATIONS;
    const parts: string[] = [];
    const block = (d: MetricDeclaration, fill: (line: (labels: string, value: number) => void) => void) => {
      const name = escapeString(d.name);
      if (parts.length > 0) parts.push('\n\n');
      parts.push('# HELP ', name, ' ', escapeString(d.help), '\n# TYPE ', name, ' ', d.type);
      fill((labels, value) => {
        parts.push('\n', name, labels, ' ', formatValue(value));
      });
    };
    const g = (group: string) => `{group="${escapeLabel(group)}"}`;
    const partitions = m?.partitions ?? [];
    const gtp = partitions.map(
      (p) => `{group="${escapeLabel(p.group)}",topic="${escapeLabel(p.topic)}",partition="${p.partition}"}`,
    );
    block(D.lagTotal, (line) => {
      if (!m) return;
      line(g(''), m.overall.total_lag);
      for (const x of m.groups) line(g(x.group), x.total_lag);
    });
    block(D.lag, (line) => {
      partitions.forEach((p, i) => {
        if (p.lag !== null) line(gtp[i], p.lag);
      });
    });
    block(D.status, (line) => {
      if (!m) return;
      line(g(''), m.overall.status_code);
      for (const x of m.groups) line(g(x.group), x.status_code);
    });
    block(D.rate, (line) => {
      if (!m) return;
      line(g(''), m.overall.rate_of_change);
      for (const x of m.groups) line(g(x.group), x.rate_of_change);
    });
    block(D.lagSeconds, (line) => {
      partitions.forEach((p, i) => {
        if (p.lag_seconds !== null) line(gtp[i], p.lag_seconds);
      });
    });
    block(D.maxLagSeconds, (line) => {
      for (const x of m?.groups ?? []) if (x.max_lag_seconds !== null) line(g(x.group), x.max_lag_seconds);
    });
    block(D.drain, (line) => {
      for (const x of m?.groups ?? [])
        if (x.time_to_drain_seconds !== null) line(g(x.group), x.time_to_drain_seconds);
    });
    block(D.partitionStatus, (line) => {
      partitions.forEach((p, i) => {
        line(gtp[i], p.status_code);
      });
    });
    block(D.duration, (line) => {
      // The suffixes ride in the labels argument: `name` + `_bucket{le="…"}`.
      let cumulative = 0;
      COLLECTION_DURATION_BUCKETS.forEach((b, i) => {
        cumulative += this.bucketCounts[i];
        line(`_bucket{le="${b}"}`, cumulative);
      });
      line('_bucket{le="+Inf"}', this.durationCount);
      line('_sum', this.durationSum);
      line('_count', this.durationCount);
    });
    block(D.lastDuration, (line) => line('', this.lastDurationSeconds));
    block(D.brokerUp, (line) => {
      for (const b of m?.cluster?.brokers ?? [])
        line(`{broker="${escapeLabel(String(b.node_id))}"}`, b.status === 'up' ? 1 : 0);
    });
    block(D.leaderless, (line) => {
      for (const p of m?.cluster?.leaderless_partitions ?? [])
        line(`{topic="${escapeLabel(p.topic)}",partition="${p.partition}"}`, 1);
    });
    block(D.leaderlessTotal, (line) => line('', m?.cluster?.leaderless_partitions.length ?? 0));
    parts.push('\n');
    return parts.join('');
  }
}
