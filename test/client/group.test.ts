import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { GroupMember } from '../../src/client/group.js';
import { Producer } from '../../src/client/producer.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
let admin: Admin;
const clusters: Cluster[] = [];
const newCluster = (clientId: string) => {
  const c = new Cluster({ brokers: [broker.bootstrap], clientId });
  clusters.push(c);
  return c;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  // A low minimum session timeout keeps these tests short; the behaviour is the same at Kafka's 6 s.
  broker = await startTestBroker({ groups: { minSessionTimeoutMs: 300 } });
  admin = new Admin({ cluster: newCluster('group-test-admin') });
  await admin.connect();
});

afterAll(async () => {
  for (const c of clusters) c.close();
  await broker?.stop();
});

async function produce(topic: string, from: number, count: number) {
  const producer = new Producer({ cluster: newCluster(`p-${topic}-${from}`), lingerMs: 1 });
  await producer.send(
    Array.from({ length: count }, (_, i) => ({ topic, key: `k${from + i}`, value: `r${from + i}` })),
  );
  await producer.close();
}

/** A member that consumes what it is assigned, commits after each poll and on revocation. */
function startWorker(name: string, topic: string, groupId: string, seen: Map<string, string[]>) {
  const cluster = newCluster(name);
  const consumer = new ConsumerClient({ cluster, groupId });
  let stopped = false;
  const positions = () =>
    consumer.assignment().flatMap(({ topic: t, partition }) => {
      const offset = consumer.position(t, partition);
      return offset === null ? [] : [{ topic: t, partition, offset }];
    });
  const member = new GroupMember({
    cluster,
    groupId,
    topics: [topic],
    sessionTimeoutMs: 1500,
    heartbeatIntervalMs: 100,
    rebalanceTimeoutMs: 5000,
    onAssign: (parts) =>
      consumer.assign(parts.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })))),
    onRevoke: async (parts) => {
      const revoked = new Set(parts.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p}`)));
      const mine = positions().filter((p) => revoked.has(`${p.topic}/${p.partition}`));
      await member.commit(mine).catch(() => {});
      consumer.unassign(mine);
      consumer.unassign(
        parts.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))),
      );
    },
  });
  const loop = (async () => {
    await member.join();
    while (!stopped) {
      if (consumer.assignment().length === 0) {
        await sleep(20);
        continue;
      }
      const got = await consumer.poll({ maxBytes: 8192, maxWaitMs: 50 }).catch(() => []);
      for (const p of got) {
        for (const r of p.records) {
          const key = r.value!.toString();
          seen.set(key, [...(seen.get(key) ?? []), name]);
        }
      }
      await member.commit(positions()).catch(() => {});
    }
  })();
  return {
    member,
    async stop() {
      stopped = true;
      await loop;
      await member.leave();
    },
  };
}

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await sleep(25);
  }
}

describe('group membership against the embedded broker', () => {
  it('a three-member group rebalances as members come and go, without losing a record', async () => {
    const topic = 'orders';
    const groupId = 'order-workers';
    await admin.createTopics([{ topic, numPartitions: 6 }]);
    const seen = new Map<string, string[]>();
    await produce(topic, 0, 300);
    const a = startWorker('a', topic, groupId, seen);
    await until('a reads something', () => seen.size > 0);
    const b = startWorker('b', topic, groupId, seen);
    await produce(topic, 300, 300);
    const c = startWorker('c', topic, groupId, seen);
    await until('three members share the partitions', () =>
      [a, b, c].every((w) => w.member.stats().state === 'stable' && w.member.stats().assigned === 2),
    );
    await produce(topic, 600, 300);
    await until('900 records consumed', () => seen.size === 900);
    await a.stop();
    await until(
      'b and c take over a’s partitions',
      () =>
        [b, c].every((w) => w.member.stats().state === 'stable') &&
        b.member.stats().assigned + c.member.stats().assigned === 6,
    );
    await produce(topic, 900, 100);
    await until('all 1000 records consumed', () => seen.size === 1000);
    const latest = await admin.listOffsets(topic, 'latest');
    await until('every partition committed to its end', async () => {
      const committed = await admin.fetchOffsets(groupId, [{ topic, partitions: [0, 1, 2, 3, 4, 5] }]);
      return committed.every((c) => c.offset === latest.find((l) => l.partition === c.partition)!.offset);
    });
    const final = [b, c].flatMap((w) => w.member.assignment().flatMap((t) => t.partitions));
    expect(final.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (let i = 0; i < 1000; i++) expect(seen.has(`r${i}`), `r${i}`).toBe(true);
    expect(b.member.stats().rebalances).toBeGreaterThanOrEqual(2);
    await b.stop();
    await c.stop();
  }, 60_000);

  it('keeps heartbeating while the application sleeps past half the session timeout', async () => {
    const topic = 'slow-handler';
    const groupId = 'slow-group';
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const sessionTimeoutMs = 1200;
    const make = (name: string) =>
      new GroupMember({
        cluster: newCluster(name),
        groupId,
        topics: [topic],
        sessionTimeoutMs,
        heartbeatIntervalMs: 150,
      });
    const slow = make('slow');
    const other = make('other');
    await Promise.all([slow.join(), other.join()]);
    await until('both stable with one partition each', () =>
      [slow, other].every((m) => m.stats().state === 'stable' && m.stats().assigned === 1),
    );
    const before = { slow: slow.stats(), other: other.stats() };
    // The "handler": a long await, well past half the session timeout.
    await sleep(sessionTimeoutMs * 0.9);
    await sleep(sessionTimeoutMs * 0.9);
    const after = { slow: slow.stats(), other: other.stats() };
    expect(after.slow.heartbeats - before.slow.heartbeats).toBeGreaterThanOrEqual(5);
    expect(after.slow.heartbeatErrors).toBe(before.slow.heartbeatErrors);
    expect(after.slow.generationId).toBe(before.slow.generationId);
    expect(after.other.rebalances).toBe(before.other.rebalances);
    // Still a member of the same generation: a generation-checked commit goes through.
    const [mine] = slow.assignment();
    await slow.commit([{ topic, partition: mine.partitions[0], offset: 0n, metadata: 'still-here' }]);
    const committed = await admin.fetchOffsets(groupId, [{ topic, partitions: mine.partitions }]);
    expect(committed[0]).toMatchObject({ offset: 0n, metadata: 'still-here' });
    await slow.leave();
    await other.leave();
  }, 30_000);

  it('a member that stops heartbeating is removed and the others take its partitions', async () => {
    const topic = 'expiry';
    const groupId = 'expiry-group';
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const make = (name: string) =>
      new GroupMember({
        cluster: newCluster(name),
        groupId,
        topics: [topic],
        sessionTimeoutMs: 600,
        heartbeatIntervalMs: 100,
      });
    const gone = make('gone');
    const stays = make('stays');
    await Promise.all([gone.join(), stays.join()]);
    await until('one partition each', () => gone.stats().assigned === 1 && stays.stats().assigned === 1);
    // Simulate a crashed process: its connections drop and nothing more is sent.
    (gone as unknown as { stopHeartbeats(): void }).stopHeartbeats();
    await until(
      'the survivor owns both partitions',
      () => stays.stats().state === 'stable' && stays.stats().assigned === 2,
    );
    const desc = await admin.describeGroup(groupId);
    expect(desc.members.map((m) => m.memberId)).toEqual([stays.memberId]);
    expect(desc.protocol).toBe('range');
    await stays.leave();
  }, 30_000);
});
