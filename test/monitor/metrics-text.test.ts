import { Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { COLLECTION_DURATION_BUCKETS, type MetricsInput, MonitorMetrics } from '../../src/monitor/metrics.js';

/**
 * The monitor writes its exposition text itself (prom-client's per-series objects cost ~25 MB at
 * 10,000 partitions). Prometheus, Grafana dashboards and the lab's tests read what prom-client wrote
 * before, so the text must stay the same: the oracle below sets prom-client gauges from the same cycle
 * and the two texts are compared byte for byte, awkward label values included.
 */
function promClientText(monitor: MonitorMetrics, cycles: MetricsInput[]): Promise<string> {
  const registry = new Registry();
  const registers = [registry];
  const decl = (name: string) => {
    const d = monitor.registry.getSingleMetric(name);
    if (!d) throw new Error(`no metric ${name}`);
    return { name: d.name, help: d.help, labelNames: d.labelNames, registers };
  };
  const lagTotal = new Gauge(decl('kafka_consumer_group_lag_total'));
  const lag = new Gauge(decl('kafka_consumer_group_lag'));
  const status = new Gauge(decl('kafka_lag_status'));
  const rate = new Gauge(decl('kafka_lag_rate_of_change'));
  const lagSeconds = new Gauge(decl('kafka_consumergroup_group_lag_seconds'));
  const maxLagSeconds = new Gauge(decl('kafka_consumergroup_group_max_lag_seconds'));
  const drain = new Gauge(decl('kafka_consumer_group_time_to_drain_seconds'));
  const partitionStatus = new Gauge(decl('kafka_consumer_group_partition_status'));
  const duration = new Histogram({
    ...decl('sluice_monitor_collection_duration_seconds'),
    buckets: COLLECTION_DURATION_BUCKETS,
  });
  const lastDuration = new Gauge(decl('sluice_monitor_last_collection_duration_seconds'));
  const brokerUp = new Gauge(decl('sluice_monitor_broker_up'));
  const leaderless = new Gauge(decl('sluice_monitor_partition_without_leader'));
  const leaderlessTotal = new Gauge(decl('sluice_monitor_partitions_without_leader'));
  for (const c of cycles) {
    duration.observe(c.collectionSeconds);
    lastDuration.set(c.collectionSeconds);
  }
  const m = cycles.at(-1);
  if (m) {
    if (m.cluster) {
      for (const b of m.cluster.brokers)
        brokerUp.set({ broker: String(b.node_id) }, b.status === 'up' ? 1 : 0);
      for (const p of m.cluster.leaderless_partitions)
        leaderless.set({ topic: p.topic, partition: String(p.partition) }, 1);
      leaderlessTotal.set(m.cluster.leaderless_partitions.length);
    }
    lagTotal.set({ group: '' }, m.overall.total_lag);
    status.set({ group: '' }, m.overall.status_code);
    rate.set({ group: '' }, m.overall.rate_of_change);
    for (const g of m.groups) {
      lagTotal.set({ group: g.group }, g.total_lag);
      status.set({ group: g.group }, g.status_code);
      rate.set({ group: g.group }, g.rate_of_change);
      if (g.time_to_drain_seconds !== null) drain.set({ group: g.group }, g.time_to_drain_seconds);
      if (g.max_lag_seconds !== null) maxLagSeconds.set({ group: g.group }, g.max_lag_seconds);
    }
    for (const p of m.partitions) {
      const labels = { group: p.group, topic: p.topic, partition: String(p.partition) };
      if (p.lag !== null) lag.set(labels, p.lag);
      if (p.lag_seconds !== null) lagSeconds.set(labels, p.lag_seconds);
      partitionStatus.set(labels, p.status_code);
    }
  }
  return registry.metrics();
}

const group = (name: string, over: Partial<MetricsInput['groups'][number]> = {}) => ({
  group: name,
  total_lag: 12,
  status_code: 1,
  rate_of_change: -0.25,
  time_to_drain_seconds: 48,
  max_lag_seconds: 3.5,
  ...over,
});

const cycle = (collectionSeconds: number, withCluster: boolean): MetricsInput => ({
  groups: [
    group('orders'),
    group('we"ird\\group\nname', { time_to_drain_seconds: null, max_lag_seconds: null }),
  ],
  partitions: [
    { group: 'orders', topic: 'orders', partition: 0, lag: 7, lag_seconds: 1.25, status_code: 0 },
    { group: 'orders', topic: 'orders', partition: 1, lag: null, lag_seconds: null, status_code: 2 },
    { group: 'we"ird\\group\nname', topic: 't"x', partition: 3, lag: 5, lag_seconds: null, status_code: 1 },
  ],
  overall: { total_lag: 24, status_code: 1, rate_of_change: 1e-7 },
  collectionSeconds,
  cluster: withCluster
    ? {
        brokers: [
          { node_id: 1, host: 'a', port: 1, status: 'up', last_seen: '' },
          { node_id: 2, host: 'b', port: 2, status: 'unreachable', last_seen: '' },
        ],
        leaderless_partitions: [{ topic: 'orders', partition: 4, since: '' }],
      }
    : null,
});

describe('monitor metrics text', () => {
  it('is what prom-client writes for the same series: before any cycle, after one, and after several', async () => {
    const metrics = new MonitorMetrics();
    expect(await metrics.registry.metrics()).toBe(await promClientText(metrics, []));
    const cycles = [cycle(0.004, true)];
    metrics.update(cycles[0]);
    expect(await metrics.registry.metrics()).toBe(await promClientText(metrics, cycles));
    for (const c of [cycle(0.3, false), cycle(12, true), cycle(0.05, true)]) {
      cycles.push(c);
      metrics.update(c);
    }
    const text = await metrics.registry.metrics();
    expect(text).toBe(await promClientText(metrics, cycles));
    // A scrape does not consume the cycle: the next one without a new cycle is the same.
    expect(await metrics.registry.metrics()).toBe(text);
    expect(text).toContain(
      'kafka_consumer_group_lag{group="we\\"ird\\\\group\\nname",topic="t\\"x",partition="3"} 5',
    );
  });

  it('drops a partition that left the latest cycle', async () => {
    const metrics = new MonitorMetrics();
    const first = cycle(0.01, false);
    metrics.update(first);
    expect(await metrics.registry.metrics()).toMatch(
      /kafka_consumer_group_lag\{group="orders",topic="orders",partition="0"\}/,
    );
    metrics.update({ ...first, partitions: first.partitions.slice(1) });
    expect(await metrics.registry.metrics()).not.toMatch(/partition="0"/);
  });
});
