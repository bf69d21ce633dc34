import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import type { BrokerConnection } from '../../src/client/broker-connection.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { Producer } from '../../src/client/producer.js';
import { VirtualClock } from '../../src/flow/clock.js';
import { LagMonitor } from '../../src/monitor/monitor.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { freePort } from '../helpers/burrow.js';
import { ScriptedSource } from './scripted.js';

describe('collection failures', () => {
  it('keeps running when the cluster is unreachable and says so in status()', async () => {
    const port = await freePort();
    const monitor = new LagMonitor({
      brokers: [`127.0.0.1:${port}`],
      intervalMs: 100,
    });
    monitor.start();
    const deadline = Date.now() + 20_000;
    while (monitor.status().collection_failure === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await monitor.stop();
    expect(monitor.status().collection_failure?.error).toMatch(/no broker reachable|ECONNREFUSED/);
    expect(monitor.lag().collection.cycles).toBe(0);
  }, 30_000);
});

describe('partitions whose lag is unknown', () => {
  let tb: TestBroker;
  beforeAll(async () => {
    tb = await startTestBroker();
  });
  afterAll(() => tb?.stop());

  it('a partition whose offsets cannot be listed is counted as unknown, never as lag 0', async () => {
    const topic = 'unread-orders';
    const group = 'unread-billing';
    const setup = new Cluster({ brokers: [tb.bootstrap], clientId: 'setup' });
    const admin = new Admin({ cluster: setup });
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const producer = new Producer({ cluster: setup, lingerMs: 0 });
    await producer.send(
      [0, 1].flatMap((partition) => Array.from({ length: 10 }, () => ({ topic, partition, value: 'x' }))),
    );
    await producer.close();
    // Partition 0 is caught up, partition 1 has 10 records of lag.
    await new ConsumerClient({ cluster: setup, groupId: group }).commit([
      { topic, partition: 0, offset: 10n },
      { topic, partition: 1, offset: 0n },
    ]);
    setup.close();

    // The leader answers partition 1's ListOffsets with an error, as Kafka does right after a leader
    // election (OFFSET_NOT_AVAILABLE) or a leader move (NOT_LEADER_OR_FOLLOWER).
    const cluster = new Cluster({ brokers: [tb.bootstrap], clientId: 'lag-monitor' });
    await cluster.refreshMetadata([topic]);
    for (const { nodeId } of cluster.knownBrokers()) failListOffsets(cluster.broker(nodeId), topic, 1);
    const monitor = new LagMonitor({ cluster, includeGroups: [`^${group}$`] });
    const report = await monitor.collect().finally(() => monitor.stop());

    const g = report.groups.find((x) => x.group === group);
    expect(g?.unknown_lag_partitions).toBe(1);
    expect(g?.total_lag).toBe(0); // partition 0 only: a lower bound, flagged above
    expect(g?.zero_lag_seconds).toBeNull();
    expect(report.collection.errors.join('\n')).toMatch(
      new RegExp(`ListOffsets ${topic}/1: .*high watermark`),
    );
    cluster.close();
  });
});

describe('a partition with records where the group never committed', () => {
  it('is counted as unknown, and the group is not reported caught up', async () => {
    const clock = new VirtualClock();
    const source = new ScriptedSource(clock);
    const g = source.group('fresh-group', 'orders', 3);
    g.join(); // a live member owns all three partitions
    g.produce(0, 10);
    g.produce(1, 10); // partition 2 stays empty
    g.commit(0, 10); // caught up on partition 0; nothing committed on 1 (10 records) nor on 2
    const monitor = new LagMonitor({ source, clock, intervalMs: 1000 });
    const report = await monitor.collect();
    const group = report.groups[0];
    expect(group.total_lag).toBe(0);
    expect(group.unknown_lag_partitions).toBe(1);
    expect(group.zero_lag_seconds).toBeNull();
    g.commit(1, 10);
    g.commit(2, 0);
    const caughtUp = (await monitor.collect()).groups[0];
    expect(caughtUp.unknown_lag_partitions).toBe(0);
    expect(caughtUp.zero_lag_seconds).toBe(0);
  });
});

/** Rewrites the broker's ListOffsets answers so that `partition` of `topic` fails with OFFSET_NOT_AVAILABLE. */
function failListOffsets(conn: BrokerConnection, topic: string, partition: number): void {
  const request = conn.request.bind(conn);
  conn.request = (async (apiKey: number, body: unknown, options?: unknown) => {
    const res = await (request as (k: number, b: unknown, o: unknown) => Promise<unknown>)(
      apiKey,
      body,
      options,
    );
    if (apiKey !== ApiKey.ListOffsets) return res;
    const answer = res as {
      topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
    };
    for (const t of answer.topics)
      for (const p of t.partitions)
        if (t.name === topic && p.partitionIndex === partition) p.errorCode = ErrorCode.OFFSET_NOT_AVAILABLE;
    return res;
  }) as BrokerConnection['request'];
}
