import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { GroupMember } from '../../src/client/group.js';
import { Producer } from '../../src/client/producer.js';
import { LagMonitor } from '../../src/monitor/monitor.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

/**
 * The monitor against the embedded broker over the wire: lag figures agree with the broker's own
 * state, lag in seconds is exact for records produced with known timestamps, membership is read, and
 * the collector batches its requests per broker instead of per partition.
 */

let broker: TestBroker;
let cluster: Cluster;
let admin: Admin;
const requests = new Map<number, number>();

beforeAll(async () => {
  broker = await startTestBroker();
  cluster = new Cluster({ brokers: [broker.bootstrap], clientId: 'monitor-test' });
  admin = new Admin({ cluster });
  await admin.connect();
});

afterAll(async () => {
  cluster?.close();
  await broker?.stop();
});

async function commit(group: string, topic: string, offsets: number[]): Promise<void> {
  const c = new ConsumerClient({ cluster, groupId: group });
  await c.commit(offsets.map((o, partition) => ({ topic, partition, offset: BigInt(o) })));
}

describe('lag monitor on the embedded broker', () => {
  it('lag per partition, group and total agrees with the broker; lag in seconds is exact', async () => {
    const topic = 'orders';
    await admin.createTopics([{ topic, numPartitions: 3 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    // Known timestamps: partition p gets 20 + 10p records, record i written "i seconds after T0".
    const T0 = Date.now() - 120_000;
    const counts = [20, 30, 40];
    await producer.send(
      counts.flatMap((n, partition) =>
        Array.from({ length: n }, (_, i) => ({ topic, partition, value: `r${i}`, timestamp: T0 + i * 1000 })),
      ),
    );
    await producer.close();
    const committed = [5, 30, 12];
    await commit('billing', topic, committed);
    await commit('audit', topic, [0, 0, 0]);

    const monitor = new LagMonitor({
      cluster: new Cluster({
        brokers: [broker.bootstrap],
        clientId: 'lag-monitor',
        tap: {
          request: (frame) =>
            requests.set(frame.readInt16BE(4), (requests.get(frame.readInt16BE(4)) ?? 0) + 1),
          response: () => undefined,
        },
      }),
      intervalMs: 1000,
      includeGroups: ['^(billing|audit)$'],
    });
    const before = Date.now();
    const report = await monitor.collect();
    const after = Date.now();

    const billing = report.groups.find((g) => g.group === 'billing');
    const audit = report.groups.find((g) => g.group === 'audit');
    expect(billing?.total_lag).toBe(15 + 0 + 28);
    expect(audit?.total_lag).toBe(90);
    expect(report.total_lag).toBe(133);
    const rows = report.partitions.filter((p) => p.group === 'billing');
    for (const p of rows) {
      const log = broker.broker.store.partition(topic, p.partition);
      expect(p.log_end_offset).toBe(Number(log?.highWatermark));
      expect(p.log_start_offset).toBe(0);
      expect(p.committed_offset).toBe(committed[p.partition]);
      expect(p.lag).toBe(counts[p.partition] - committed[p.partition]);
    }
    // The oldest unconsumed record of billing/0 is record 5, written at T0 + 5 s; partition 1 is caught up.
    const p0 = rows[0];
    expect(p0.lag_seconds_method).toBe('exact');
    expect(p0.lag_seconds).toBeGreaterThanOrEqual((before - (T0 + 5000)) / 1000 - 0.001);
    expect(p0.lag_seconds).toBeLessThanOrEqual((after - (T0 + 5000)) / 1000 + 0.001);
    expect(rows[1]).toMatchObject({ lag: 0, lag_seconds: 0, lag_seconds_method: 'exact' });
    expect(rows[2].lag_seconds).toBeCloseTo(p0.lag_seconds! - 7, 0);
    expect(billing?.max_lag_seconds).toBe(p0.lag_seconds);

    // Batched: one ListGroups, one DescribeGroups and two ListOffsets for the whole cluster (one
    // broker), one OffsetFetch per group, and one Fetch per set of distinct offsets of a partition
    // (both groups sit at different offsets of partitions 0 and 2): never one request per partition.
    expect(requests.get(ApiKey.ListGroups)).toBe(1);
    expect(requests.get(ApiKey.DescribeGroups)).toBe(1);
    expect(requests.get(ApiKey.ListOffsets)).toBe(2);
    expect(requests.get(ApiKey.OffsetFetch)).toBe(2);
    expect(requests.get(ApiKey.Fetch)).toBe(2);
    // Timestamps at unchanged committed offsets come from the cache: no Fetch on the next cycle.
    await monitor.collect();
    expect(requests.get(ApiKey.Fetch)).toBe(2);
    expect(requests.get(ApiKey.ListOffsets)).toBe(4);
    await monitor.stop();
  });

  it('exact lag in seconds tracks the true age within one collection interval as time passes', async () => {
    const topic = 'aging';
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    const written = Date.now();
    await producer.send([
      { topic, partition: 0, value: 'a', timestamp: written },
      { topic, partition: 0, value: 'b' },
    ]);
    await producer.close();
    await commit('aging-group', topic, [0]);
    const monitor = new LagMonitor({
      brokers: [broker.bootstrap],
      intervalMs: 200,
      includeGroups: ['^aging-group$'],
    });
    const seen: { at: number; seconds: number | null }[] = [];
    monitor.onReport((r) =>
      seen.push({ at: Date.parse(r.timestamp), seconds: r.partitions[0]?.lag_seconds ?? null }),
    );
    monitor.start();
    while (seen.length < 4) await new Promise((r) => setTimeout(r, 50));
    await monitor.stop();
    for (const s of seen) {
      const trueAge = (s.at - written) / 1000;
      expect(s.seconds).not.toBeNull();
      expect(Math.abs((s.seconds as number) - trueAge)).toBeLessThanOrEqual(0.2);
    }
    expect(seen.at(-1)!.seconds!).toBeGreaterThan(seen[0].seconds!);
  });

  it('reads members and their assignments, and judges a stalled member STALL', async () => {
    const topic = 'owned';
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic, partition: i % 2, value: `v${i}` })));
    const member = new GroupMember({ cluster, groupId: 'owners', topics: [topic], sessionTimeoutMs: 10_000 });
    await member.join();
    await member.commit([
      { topic, partition: 0, offset: 1n },
      { topic, partition: 1, offset: 1n },
    ]);
    const monitor = new LagMonitor({
      brokers: [broker.bootstrap],
      intervalMs: 100,
      windowSize: 3,
      minSamples: 3,
      includeGroups: ['^owners$'],
      timeLag: 'interpolated',
    });
    let r = await monitor.collect();
    expect(r.groups[0]).toMatchObject({
      group: 'owners',
      state: 'Stable',
      members: 1,
      consumers: 1,
      total_lag: 8,
    });
    expect(r.partitions.every((p) => p.owner?.member_id === member.memberId)).toBe(true);
    for (let i = 0; i < 2; i++) {
      await producer.send([{ topic, partition: 0, value: 'more' }]);
      r = await monitor.collect();
    }
    expect(r.partitions.map((p) => p.status)).toEqual(['STALL', 'STALL']);
    expect(r.status).toBe('critical');
    // Interpolation only has samples from after record 1 was written: it says unknown, with a bound.
    expect(r.partitions[0].lag_seconds_method).toBe('unknown');
    expect(r.partitions[0].lag_seconds_at_least).not.toBeNull();
    await member.leave();
    await producer.close();
    await monitor.stop();
  });

  it('picks up partitions added to a topic it already knows', async () => {
    const topic = 'growing-topic';
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    await producer.send([{ topic, partition: 0, value: 'a' }]);
    await commit('grower', topic, [0]);
    const monitor = new LagMonitor({ brokers: [broker.bootstrap], includeGroups: ['^grower$'] });
    expect((await monitor.collect()).partitions).toHaveLength(1);
    await producer.close();
    await admin.createPartitions(topic, 2);
    const again = new Producer({ brokers: [broker.bootstrap], lingerMs: 0 });
    await again.send([{ topic, partition: 1, value: 'b' }]);
    await again.close();
    await commit('grower', topic, [0, 0]);
    // The first cycle after finds its cached metadata lacks partition 1, says so and refreshes it.
    const first = await monitor.collect();
    const second = first.partitions.length === 2 ? first : await monitor.collect();
    expect(second.partitions.map((p) => [p.partition, p.lag])).toEqual([
      [0, 1],
      [1, 1],
    ]);
    await monitor.stop();
  });
});
