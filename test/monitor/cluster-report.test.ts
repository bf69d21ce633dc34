import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/flow/clock.js';
import { LagMonitor } from '../../src/monitor/monitor.js';
import type { ClusterObservation, Observation } from '../../src/monitor/observation.js';

/**
 * The monitor's view of the cluster itself (LagReport.cluster and its metrics): brokers it has seen,
 * marked unreachable or missing when they stop answering or leave the metadata, and the partitions
 * without a leader with the time each lost it. test/kafka/failover.test.ts shows the same on a real
 * Kafka cluster with a broker killed.
 */

const brokers = (...ids: number[]) =>
  ids.map((nodeId) => ({ nodeId, host: '127.0.0.1', port: 9090 + nodeId }));

function monitorOn(clock: VirtualClock): LagMonitor {
  return new LagMonitor({ source: { observe: async () => observation(clock, undefined) }, clock });
}

function observation(clock: VirtualClock, cluster: ClusterObservation | undefined): Observation {
  return { at: clock.now(), groups: [], durationMs: 1, errors: [], cluster };
}

describe('the monitor reports brokers and leaderless partitions', () => {
  it('remembers brokers, says which are unreachable or missing, and when partitions lost their leader', async () => {
    const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
    const monitor = monitorOn(clock);
    const healthy = monitor.ingest(
      observation(clock, { brokers: brokers(1, 2, 3), unreachable: [], leaderless: [] }),
    );
    expect(healthy.cluster?.brokers.map((b) => [b.node_id, b.status])).toEqual([
      [1, 'up'],
      [2, 'up'],
      [3, 'up'],
    ]);
    expect(healthy.cluster?.leaderless_partitions).toEqual([]);

    // Killed: still listed until the controller fences it, but it no longer answers.
    await clock.advance(1000);
    const killed = monitor.ingest(
      observation(clock, { brokers: brokers(1, 2, 3), unreachable: [3], leaderless: [] }),
    );
    expect(killed.cluster?.brokers.find((b) => b.node_id === 3)?.status).toBe('unreachable');

    // Fenced: gone from the metadata, and the partitions it alone held have no leader.
    await clock.advance(1000);
    const lostAt = new Date(clock.now()).toISOString();
    const pinned = [
      { topic: 'pinned', partition: 0 },
      { topic: 'pinned', partition: 1 },
    ];
    monitor.ingest(observation(clock, { brokers: brokers(1, 2), unreachable: [], leaderless: pinned }));
    await clock.advance(1000);
    const fenced = monitor.ingest(
      observation(clock, { brokers: brokers(1, 2), unreachable: [], leaderless: pinned }),
    );
    expect(fenced.cluster?.brokers.find((b) => b.node_id === 3)).toMatchObject({
      status: 'missing',
      host: '127.0.0.1',
      port: 9093,
      last_seen: new Date(clock.now() - 2000).toISOString(),
    });
    // `since` is the first cycle without a leader, not the latest one.
    expect(fenced.cluster?.leaderless_partitions).toEqual(pinned.map((p) => ({ ...p, since: lostAt })));
    const text = await monitor.metrics.registry.metrics();
    expect(text).toMatch(/^sluice_monitor_broker_up\{broker="3"\} 0$/m);
    expect(text).toMatch(/^sluice_monitor_broker_up\{broker="1"\} 1$/m);
    expect(text).toMatch(/^sluice_monitor_partition_without_leader\{topic="pinned",partition="1"\} 1$/m);
    expect(text).toMatch(/^sluice_monitor_partitions_without_leader 2$/m);

    // Back: up again, leaders elected, nothing left over in the report or the metrics.
    await clock.advance(1000);
    const healed = monitor.ingest(
      observation(clock, { brokers: brokers(1, 2, 3), unreachable: [], leaderless: [] }),
    );
    expect(healed.cluster?.brokers.every((b) => b.status === 'up')).toBe(true);
    expect(healed.cluster?.leaderless_partitions).toEqual([]);
    const after = await monitor.metrics.registry.metrics();
    expect(after).not.toMatch(/sluice_monitor_partition_without_leader\{/);
    expect(after).toMatch(/^sluice_monitor_partitions_without_leader 0$/m);
  });

  it('reports no cluster view when the source read no metadata', async () => {
    const clock = new VirtualClock(0);
    const report = await monitorOn(clock).collect();
    expect(report.cluster).toBeNull();
  });
});
