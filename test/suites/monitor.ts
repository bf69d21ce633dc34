import { afterAll, beforeAll, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { GroupMember } from '../../src/client/group.js';
import { Producer } from '../../src/client/producer.js';
import { LagMonitor } from '../../src/monitor/monitor.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { type Target, uniqueName } from '../helpers/targets.js';

/**
 * The lag monitor over the wire, on the embedded broker and on the three-broker Kafka cluster: lag
 * figures agree with the broker, lag in seconds is exact for records produced with known timestamps,
 * membership is read, and the collector batches its requests per broker instead of per partition.
 */
export function monitorSuite(target: Target): void {
  let cluster: Cluster;
  let admin: Admin;

  beforeAll(async () => {
    cluster = new Cluster({ brokers: target().bootstrap.split(','), clientId: 'monitor-test' });
    admin = new Admin({ cluster });
    await admin.connect();
  });

  afterAll(() => {
    cluster?.close();
  });

  async function commit(group: string, topic: string, offsets: number[]): Promise<void> {
    const c = new ConsumerClient({ cluster, groupId: group });
    await c.commit(offsets.map((o, partition) => ({ topic, partition, offset: BigInt(o) })));
  }

  /** Distinct brokers leading `partitions` of `topic`: what per-broker batching costs in requests. */
  async function leaders(topic: string, partitions: number[]): Promise<number> {
    const meta = await cluster.topic(topic);
    return new Set(meta.partitions.filter((p) => partitions.includes(p.partition)).map((p) => p.leader)).size;
  }

  it('lag per partition, group and total agrees with the broker; lag in seconds is exact', async () => {
    const topic = uniqueName('orders');
    const billingGroup = uniqueName('billing');
    const auditGroup = billingGroup.replace('billing', 'audit');
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
    await commit(billingGroup, topic, committed);
    await commit(auditGroup, topic, [0, 0, 0]);

    const requests = new Map<number, number>();
    const monitor = new LagMonitor({
      cluster: new Cluster({
        brokers: target().bootstrap.split(','),
        clientId: 'lag-monitor',
        tap: {
          request: (frame) =>
            requests.set(frame.readInt16BE(4), (requests.get(frame.readInt16BE(4)) ?? 0) + 1),
          response: () => undefined,
        },
      }),
      intervalMs: 1000,
      includeGroups: [`^(${billingGroup}|${auditGroup})$`],
    });
    const before = Date.now();
    const report = await monitor.collect();
    const after = Date.now();

    const billing = report.groups.find((g) => g.group === billingGroup);
    const audit = report.groups.find((g) => g.group === auditGroup);
    expect(billing?.total_lag).toBe(15 + 0 + 28);
    expect(audit?.total_lag).toBe(90);
    expect(report.total_lag).toBe(133);
    const rows = report.partitions.filter((p) => p.group === billingGroup);
    for (const p of rows) {
      expect(p.log_end_offset).toBe(counts[p.partition]);
      expect(p.log_start_offset).toBe(0);
      expect(p.committed_offset).toBe(committed[p.partition]);
      expect(p.lag).toBe(counts[p.partition] - committed[p.partition]);
      // The embedded broker can be looked into: the figure is its high watermark, not a recount.
      const log = target().embedded?.broker.store.partition(topic, p.partition);
      if (target().kind === 'sluice') expect(p.log_end_offset).toBe(Number(log?.highWatermark));
    }
    // The oldest unconsumed record of billing/0 is record 5, written at T0 + 5 s; partition 1 is caught up.
    const p0 = rows[0];
    expect(p0.lag_seconds_method).toBe('exact');
    expect(p0.lag_seconds).toBeGreaterThanOrEqual((before - (T0 + 5000)) / 1000 - 0.001);
    expect(p0.lag_seconds).toBeLessThanOrEqual((after - (T0 + 5000)) / 1000 + 0.001);
    expect(rows[1]).toMatchObject({ lag: 0, lag_seconds: 0, lag_seconds_method: 'exact' });
    expect(rows[2].lag_seconds).toBeCloseTo(p0.lag_seconds! - 7, 0);
    expect(billing?.max_lag_seconds).toBe(p0.lag_seconds);

    // Batched per broker, never per partition: ListGroups once per broker (1 here, 3 on the cluster),
    // one DescribeGroups per coordinator, two ListOffsets (earliest, latest) per partition leader, one
    // OffsetFetch per group, and one Fetch per leader per set of distinct offsets of a partition: audit
    // sits at 0 on all three partitions, billing at 5 and 12 on partitions 0 and 2 (1 is caught up).
    const coordinators = new Set(
      await Promise.all([billingGroup, auditGroup].map(async (g) => (await cluster.coordinator(g)).nodeId)),
    ).size;
    const allLeaders = await leaders(topic, [0, 1, 2]);
    const fetches = allLeaders + (await leaders(topic, [0, 2]));
    expect(requests.get(ApiKey.ListGroups)).toBe(target().brokers);
    expect(requests.get(ApiKey.DescribeGroups)).toBe(coordinators);
    expect(requests.get(ApiKey.ListOffsets)).toBe(2 * allLeaders);
    expect(requests.get(ApiKey.OffsetFetch)).toBe(2);
    expect(requests.get(ApiKey.Fetch)).toBe(fetches);
    // Timestamps at unchanged committed offsets come from the cache: no Fetch on the next cycle.
    await monitor.collect();
    expect(requests.get(ApiKey.Fetch)).toBe(fetches);
    expect(requests.get(ApiKey.ListOffsets)).toBe(4 * allLeaders);
    // A commit past the cached record needs the next record's timestamp (one Fetch on that leader); the
    // other group's, at another offset of the same partition, still comes from the cache.
    await commit(billingGroup, topic, [6, 30, 12]);
    const moved = await monitor.collect();
    expect(requests.get(ApiKey.Fetch)).toBe(fetches + 1);
    const at = (group: string, partition: number) =>
      moved.partitions.find((p) => p.group === group && p.partition === partition);
    expect(at(billingGroup, 0)?.lag_seconds_method).toBe('exact');
    // Record 0 (audit) was written 6 s before record 6 (billing), both read at the same instant.
    expect(at(auditGroup, 0)!.lag_seconds! - at(billingGroup, 0)!.lag_seconds!).toBeCloseTo(6, 2);
    expect(at(auditGroup, 2)!.lag_seconds! - at(billingGroup, 2)!.lag_seconds!).toBeCloseTo(12, 2);
    await monitor.stop();
  });

  it('exact lag in seconds for every lagging partition, also when one broker leads several', async () => {
    // Twice as many partitions as brokers, so each timestamp Fetch names several partitions of one
    // leader, and batches of ~24 KiB, more than the monitor asks per partition: Kafka returns such a
    // batch only for the first partition of a Fetch that has data, the others come back cut short.
    const topic = uniqueName('stamped');
    const group = uniqueName('stamps');
    const n = 2 * target().brokers;
    await admin.createTopics([{ topic, numPartitions: n }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    const T0 = Date.now() - 60_000;
    // Partition p: four 6 KiB records at T0 + p s ... T0 + (p + 3) s, in one batch per partition.
    const pad = 'x'.repeat(6 * 1024);
    await producer.send(
      Array.from({ length: n }, (_, partition) =>
        Array.from({ length: 4 }, (_, i) => ({
          topic,
          partition,
          value: `p${partition}r${i}${pad}`,
          timestamp: T0 + (partition + i) * 1000,
        })),
      ).flat(),
    );
    await producer.close();
    await commit(group, topic, Array(n).fill(1));
    const monitor = new LagMonitor({ brokers: target().bootstrap.split(','), includeGroups: [`^${group}$`] });
    const before = Date.now();
    const report = await monitor.collect();
    const after = Date.now();
    await monitor.stop();
    expect(report.collection.errors).toEqual([]);
    expect(report.partitions).toHaveLength(n);
    for (const p of report.partitions) {
      // The oldest unconsumed record of partition p is its record 1, written at T0 + (p + 1) s.
      const written = T0 + (p.partition + 1) * 1000;
      expect(p.lag, `partition ${p.partition}`).toBe(3);
      expect(p.lag_seconds_method, `partition ${p.partition}`).toBe('exact');
      expect(p.lag_seconds).toBeGreaterThanOrEqual((before - written) / 1000 - 0.001);
      expect(p.lag_seconds).toBeLessThanOrEqual((after - written) / 1000 + 0.001);
    }
  });

  it('exact lag in seconds tracks the true age within one collection interval as time passes', async () => {
    const topic = uniqueName('aging');
    const group = uniqueName('aging-group');
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    const written = Date.now();
    await producer.send([
      { topic, partition: 0, value: 'a', timestamp: written },
      { topic, partition: 0, value: 'b' },
    ]);
    await producer.close();
    await commit(group, topic, [0]);
    const monitor = new LagMonitor({
      brokers: target().bootstrap.split(','),
      intervalMs: 200,
      includeGroups: [`^${group}$`],
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
    const topic = uniqueName('owned');
    const group = uniqueName('owners');
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic, partition: i % 2, value: `v${i}` })));
    const member = new GroupMember({ cluster, groupId: group, topics: [topic], sessionTimeoutMs: 10_000 });
    await member.join();
    await member.commit([
      { topic, partition: 0, offset: 1n },
      { topic, partition: 1, offset: 1n },
    ]);
    const monitor = new LagMonitor({
      brokers: target().bootstrap.split(','),
      intervalMs: 100,
      windowSize: 3,
      minSamples: 3,
      includeGroups: [`^${group}$`],
      timeLag: 'interpolated',
    });
    let r = await monitor.collect();
    expect(r.groups[0]).toMatchObject({
      group,
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
    const topic = uniqueName('growing-topic');
    const group = uniqueName('grower');
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    await producer.send([{ topic, partition: 0, value: 'a' }]);
    await commit(group, topic, [0]);
    const monitor = new LagMonitor({ brokers: target().bootstrap.split(','), includeGroups: [`^${group}$`] });
    expect((await monitor.collect()).partitions).toHaveLength(1);
    await producer.close();
    await admin.createPartitions(topic, 2);
    // A producer that has never seen the topic: on Kafka its first metadata may come from a broker
    // that does not list partition 1 yet, and it waits for one that does (Producer maxBlockMs).
    const again = new Producer({ brokers: target().bootstrap.split(','), lingerMs: 0 });
    await again.send([{ topic, partition: 1, value: 'b' }]);
    await again.close();
    await commit(group, topic, [0, 0]);
    // The first cycle after finds its cached metadata lacks partition 1, says so and refreshes it.
    const first = await monitor.collect();
    const second = first.partitions.length === 2 ? first : await monitor.collect();
    expect(second.partitions.map((p) => [p.partition, p.lag])).toEqual([
      [0, 1],
      [1, 1],
    ]);
    await monitor.stop();
  });
}
