import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const TOPIC = 'orders';
const PARTITIONS = 6;
const GROUP = 'workers';

interface Seen {
  member: string;
  partition: number;
  offset: number;
  value: string;
}

/** Waits for `check` to hold, polling; fails with `what` after `ms`. */
async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('kafkajs consumer groups against the Sluice broker', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-groups-kafkajs-'));
  let broker: TestBroker | undefined;
  const consumers: Consumer[] = [];

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function client(b: TestBroker, id: string): Kafka {
    return new Kafka({
      brokers: [b.bootstrap],
      clientId: id,
      logLevel: logLevel.NOTHING,
      retry: { retries: 10 },
    });
  }

  async function startMember(b: TestBroker, name: string, seen: Seen[], owned: Map<string, number[]>) {
    const consumer = client(b, name).consumer({
      groupId: GROUP,
      sessionTimeout: 6000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 200,
    });
    consumers.push(consumer);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      owned.set(name, (e.payload.memberAssignment[TOPIC] ?? []).slice().sort());
    });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      autoCommitInterval: 100,
      eachMessage: async ({ partition, message }) => {
        seen.push({
          member: name,
          partition,
          offset: Number(message.offset),
          value: message.value!.toString(),
        });
      },
    });
    return consumer;
  }

  it('spreads partitions over three members, moves them when one leaves, and resumes from commits after a restart', async () => {
    broker = await startTestBroker({ dataDir, groups: { minSessionTimeoutMs: 1000 } });
    const admin = client(broker, 'admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    const producer = client(broker, 'producer').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const send = async (from: number, count: number) => {
      await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: Array.from({ length: count }, (_, i) => ({
          partition: (from + i) % PARTITIONS,
          value: `m${from + i}`,
        })),
      });
    };

    const seen: Seen[] = [];
    const owned = new Map<string, number[]>();
    await send(0, 60);
    await startMember(broker, 'a', seen, owned);
    await startMember(broker, 'b', seen, owned);
    const c = await startMember(broker, 'c', seen, owned);
    // All three own a share, and the shares cover every partition exactly once.
    const covered = () =>
      [...owned.values()]
        .flat()
        .sort((x, y) => x - y)
        .join(',');
    await until('three members sharing six partitions', () => {
      return (
        owned.size === 3 && [...owned.values()].every((p) => p.length === 2) && covered() === '0,1,2,3,4,5'
      );
    });
    // The broker decodes the same assignments from the leader's SyncGroup.
    const brokerView = broker.broker.groups.memberAssignments(GROUP).map(
      (m) =>
        [
          m.clientId,
          m.assigned
            ?.find((a) => a.topic === TOPIC)
            ?.partitions.slice()
            .sort(),
        ] as const,
    );
    expect(new Map(brokerView)).toEqual(owned);
    await send(60, 60);
    await until('the first 120 records', () => new Set(seen.map((s) => s.value)).size === 120);

    // c leaves: its partitions move to a and b.
    const cHad = owned.get('c')!;
    await c.disconnect();
    owned.delete('c');
    await until('two members sharing six partitions', () => {
      return (
        owned.size === 2 && [...owned.values()].every((p) => p.length === 3) && covered() === '0,1,2,3,4,5'
      );
    });
    await send(120, 60);
    await until('all 180 records', () => new Set(seen.map((s) => s.value)).size === 180);
    for (const p of cHad) {
      const after = seen.filter((s) => s.partition === p && Number(s.value.slice(1)) >= 120);
      expect(after.every((s) => s.member !== 'c')).toBe(true);
    }
    // Nothing lost. Records consumed around a rebalance may come twice (at-least-once: the new owner
    // starts from the last commit), but once the group is stable every record arrives exactly once.
    const copies = new Map<string, number>();
    for (const s of seen) copies.set(s.value, (copies.get(s.value) ?? 0) + 1);
    const afterLastRebalance = [...copies].filter(([value]) => Number(value.slice(1)) >= 120);
    expect(afterLastRebalance).toHaveLength(60);
    expect(afterLastRebalance.filter(([, n]) => n !== 1)).toEqual([]);

    const groups = await admin.describeGroups([GROUP]);
    expect(groups.groups[0]).toMatchObject({
      state: 'Stable',
      protocolType: 'consumer',
      protocol: 'RoundRobinAssigner',
    });
    expect(groups.groups[0].members).toHaveLength(2);
    // Rebalances and commits show in the broker's own Prometheus registry.
    const registry = broker.broker.metrics.registry;
    const rebalances = await registry.getSingleMetric('sluice_group_rebalances_total')!.get();
    expect(rebalances.values.find((v) => v.labels.group === GROUP)!.value).toBeGreaterThanOrEqual(4);
    const commits = await registry.getSingleMetric('sluice_group_offset_commits_total')!.get();
    expect(commits.values.find((v) => v.labels.group === GROUP)!.value).toBeGreaterThan(0);
    for (const consumer of consumers) await consumer.disconnect();
    consumers.length = 0;
    const committed = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    expect(
      committed[0].partitions.map((p) => [p.partition, p.offset]).sort((x, y) => Number(x[0]) - Number(y[0])),
    ).toEqual(Array.from({ length: PARTITIONS }, (_, p) => [p, '30']));
    await producer.disconnect();
    await admin.disconnect();

    // Restart the broker on the same data: the commits come back from __consumer_offsets.
    await broker.stop();
    broker = await startTestBroker({ dataDir, groups: { minSessionTimeoutMs: 1000 } });
    const admin2 = client(broker, 'admin').admin();
    await admin2.connect();
    const again = await admin2.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    expect(again[0].partitions.every((p) => p.offset === '30')).toBe(true);
    const producer2 = client(broker, 'producer').producer();
    await producer2.connect();
    await producer2.send({
      topic: TOPIC,
      acks: -1,
      messages: Array.from({ length: 12 }, (_, i) => ({ partition: i % PARTITIONS, value: `n${i}` })),
    });
    const resumed: Seen[] = [];
    await startMember(broker, 'd', resumed, new Map());
    await until('the 12 records produced after the restart', () => resumed.length >= 12);
    await new Promise((r) => setTimeout(r, 500));
    // fromBeginning only applies without a commit: d starts at the committed offsets.
    expect(resumed.map((s) => s.value).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `n${i}`).sort());
    await producer2.disconnect();
    await admin2.disconnect();
  }, 120_000);
});
