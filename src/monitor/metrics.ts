import { Gauge, Histogram, Registry } from 'prom-client';
import type { ClusterReport } from './reports.js';

/**
 * The monitor's Prometheus metrics in a Registry of its own (the service exposes it at /metrics). Names:
 * the lab's (kafka_consumer_group_lag_total, kafka_consumer_group_lag, kafka_lag_status,
 * kafka_lag_rate_of_change), kafka-lag-exporter's for lag in seconds, and Sluice's for the rest.
 * Series are rebuilt from the latest cycle when Prometheus scrapes (not on every cycle: label hashing
 * for 10,000 partitions costs more than the evaluation itself), so a deleted group or partition
 * disappears instead of freezing at its last value.
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

export class MonitorMetrics {
  readonly registry = new Registry();
  private readonly lagTotal: Gauge;
  private readonly lag: Gauge;
  private readonly status: Gauge;
  private readonly rate: Gauge;
  private readonly lagSeconds: Gauge;
  private readonly maxLagSeconds: Gauge;
  private readonly drain: Gauge;
  private readonly partitionStatus: Gauge;
  private readonly duration: Histogram;
  private readonly lastDuration: Gauge;
  private readonly brokerUp: Gauge;
  private readonly leaderless: Gauge;
  private readonly leaderlessTotal: Gauge;
  private pending: MetricsInput | null = null;

  constructor() {
    const r = [this.registry];
    // Whichever gauge a scrape reads first applies the pending cycle to all of them.
    const lazy = { registers: r, collect: () => this.flush() };
    this.lagTotal = new Gauge({
      name: 'kafka_consumer_group_lag_total',
      help: 'Messages behind, summed over the partitions of a consumer group (group="" sums all groups)',
      labelNames: ['group'],
      ...lazy,
    });
    this.lag = new Gauge({
      name: 'kafka_consumer_group_lag',
      help: 'Messages behind per partition: log end offset minus committed offset',
      labelNames: ['group', 'topic', 'partition'],
      ...lazy,
    });
    this.status = new Gauge({
      name: 'kafka_lag_status',
      help: 'Lag status: 0=ok, 1=warning, 2=critical (group="" is the worst group)',
      labelNames: ['group'],
      ...lazy,
    });
    this.rate = new Gauge({
      name: 'kafka_lag_rate_of_change',
      help: 'Lag growth in messages per second (negative: shrinking), least-squares over the window',
      labelNames: ['group'],
      ...lazy,
    });
    this.lagSeconds = new Gauge({
      name: 'kafka_consumergroup_group_lag_seconds',
      help: 'Age of the oldest unconsumed record per partition (seconds); absent when unknown',
      labelNames: ['group', 'topic', 'partition'],
      ...lazy,
    });
    this.maxLagSeconds = new Gauge({
      name: 'kafka_consumergroup_group_max_lag_seconds',
      help: 'Largest lag in seconds over the partitions of a group',
      labelNames: ['group'],
      ...lazy,
    });
    this.drain = new Gauge({
      name: 'kafka_consumer_group_time_to_drain_seconds',
      help: 'Lag divided by the net drain rate; absent when lag is not draining',
      labelNames: ['group'],
      ...lazy,
    });
    this.partitionStatus = new Gauge({
      name: 'kafka_consumer_group_partition_status',
      help: 'Per-partition window status: 0=OK, 1=WARN, 2=STOP/STALL/REWIND',
      labelNames: ['group', 'topic', 'partition'],
      ...lazy,
    });
    this.duration = new Histogram({
      name: 'sluice_monitor_collection_duration_seconds',
      help: 'Time one collection cycle took',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    });
    this.lastDuration = new Gauge({
      name: 'sluice_monitor_last_collection_duration_seconds',
      help: 'Time the last collection cycle took',
      ...lazy,
    });
    this.brokerUp = new Gauge({
      name: 'sluice_monitor_broker_up',
      help: '1 while a broker seen by the monitor is listed and answers; 0 when unreachable or missing from metadata',
      labelNames: ['broker'],
      ...lazy,
    });
    this.leaderless = new Gauge({
      name: 'sluice_monitor_partition_without_leader',
      help: '1 for each partition whose metadata names no leader (absent otherwise)',
      labelNames: ['topic', 'partition'],
      ...lazy,
    });
    this.leaderlessTotal = new Gauge({
      name: 'sluice_monitor_partitions_without_leader',
      help: 'Partitions whose metadata names no leader',
      ...lazy,
    });
  }

  /** Records a cycle's figures; the gauges take them at the next scrape. */
  update(m: MetricsInput): void {
    this.pending = m;
    this.duration.observe(m.collectionSeconds);
    this.lastDuration.set(m.collectionSeconds);
  }

  private flush(): void {
    const m = this.pending;
    if (!m) return;
    this.pending = null;
    for (const g of [
      this.lagTotal,
      this.lag,
      this.status,
      this.rate,
      this.lagSeconds,
      this.maxLagSeconds,
      this.drain,
      this.partitionStatus,
      this.brokerUp,
      this.leaderless,
      this.leaderlessTotal,
    ]) {
      g.reset();
    }
    if (m.cluster) {
      for (const b of m.cluster.brokers)
        this.brokerUp.set({ broker: String(b.node_id) }, b.status === 'up' ? 1 : 0);
      for (const p of m.cluster.leaderless_partitions)
        this.leaderless.set({ topic: p.topic, partition: String(p.partition) }, 1);
      this.leaderlessTotal.set(m.cluster.leaderless_partitions.length);
    }
    this.lagTotal.set({ group: '' }, m.overall.total_lag);
    this.status.set({ group: '' }, m.overall.status_code);
    this.rate.set({ group: '' }, m.overall.rate_of_change);
    for (const g of m.groups) {
      this.lagTotal.set({ group: g.group }, g.total_lag);
      this.status.set({ group: g.group }, g.status_code);
      this.rate.set({ group: g.group }, g.rate_of_change);
      if (g.time_to_drain_seconds !== null) this.drain.set({ group: g.group }, g.time_to_drain_seconds);
      if (g.max_lag_seconds !== null) this.maxLagSeconds.set({ group: g.group }, g.max_lag_seconds);
    }
    for (const p of m.partitions) {
      const labels = { group: p.group, topic: p.topic, partition: String(p.partition) };
      if (p.lag !== null) this.lag.set(labels, p.lag);
      if (p.lag_seconds !== null) this.lagSeconds.set(labels, p.lag_seconds);
      this.partitionStatus.set(labels, p.status_code);
    }
  }
}
