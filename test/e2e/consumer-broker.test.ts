/**
 * The consumer runtime against the embedded broker (in-process, port 0): a slow sink turns into lag in
 * the broker while the consumer holds at most maxInFlight records; commits resume from the right offset
 * after a restart; a poison record lands in a real dead-letter topic; a rebalance hands partitions over
 * without losing a record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { Producer } from '../../src/client/producer.js';
import { createKafkaConsumer } from '../../src/consumer/create.js';
import { DLQ_HEADERS } from '../../src/consumer/dead-letter.js';
import type { ConsumerRuntime } from '../../src/consumer/runtime.js';
import { SimulatedSink } from '../../src/consumer/sinks/simulated.js';
import type { ConsumerRecord, Sink, SinkContext } from '../../src/consumer/types.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
let cluster: Cluster;
let admin: Admin;

beforeAll(async () => {
  broker = await startTestBroker({ durability: 'memory' });
  cluster = new Cluster({ brokers: [broker.bootstrap], clientId: 'consumer-e2e' });
  admin = new Admin({ cluster });
  await admin.connect();
});

afterAll(async () => {
  cluster?.close();
  await broker?.stop();
});

async function produce(topic: string, partitions: number, perPartition: number): Promise<void> {
  await admin.createTopics([{ topic, numPartitions: partitions }]);
  const producer = new Producer({ cluster, lingerMs: 2 });
  const messages = [];
  for (let p = 0; p < partitions; p++) {
    for (let i = 0; i < perPartition; i++) {
      messages.push({ topic, partition: p, key: `k${i % 13}`, value: `p${p}-${i}`.padEnd(100, '.') });
    }
  }
  const deliveries = await producer.send(messages);
  expect(deliveries.every((d) => d.status === 'delivered')).toBe(true);
  await producer.close();
}

async function lag(topic: string, groupId: string): Promise<bigint> {
  const end = await admin.listOffsets(topic, 'latest');
  const committed = await admin.fetchOffsets(groupId, [{ topic, partitions: end.map((e) => e.partition) }]);
  let total = 0n;
  for (const e of end) {
    const c = committed.find((x) => x.partition === e.partition)?.offset ?? -1n;
    total += e.offset - (c < 0n ? 0n : c);
  }
  return total;
}

/** Records every record written, so tests can check nothing was lost or written twice. */
class RecordingSink implements Sink {
  readonly name = 'recording';
  readonly seen: string[] = [];
  constructor(private readonly inner: Sink) {}
  async write(record: ConsumerRecord, context: SinkContext): Promise<void> {
    await this.inner.write(record, context);
    this.seen.push(`${record.partition}:${record.offset}`);
  }
}

const until = async (cond: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('consumer runtime against the embedded broker', () => {
  it('a slow sink builds lag in the broker, not in memory; a restart resumes from the committed offsets', async () => {
    const topic = 'slow-sink';
    const groupId = 'slow-sink-group';
    await produce(topic, 3, 400);
    const sink1 = new RecordingSink(new SimulatedSink({ processingTimeMs: 20 }));
    const runtime1 = createKafkaConsumer({
      brokers: [broker.bootstrap],
      groupId,
      topics: [topic],
      sink: sink1,
      ordering: 'partition',
      concurrency: 3,
      maxInFlight: 30,
      commitIntervalMs: 200,
      deadLetter: false,
    });
    let maxSeen = 0;
    const sampler = setInterval(() => (maxSeen = Math.max(maxSeen, runtime1.stats().inFlightRecords)), 5);
    await runtime1.start();
    await until(() => runtime1.stats().consumed >= 150);
    await new Promise((r) => setTimeout(r, 400));
    const s = runtime1.stats();
    clearInterval(sampler);
    // 3 writers at 20 ms: ~150 records/s against 1200 waiting. The rest stays in the broker.
    expect(s.peakInFlightRecords).toBeLessThanOrEqual(30);
    expect(maxSeen).toBeLessThanOrEqual(30);
    expect(s.fetchState === 'no-credits' || s.fetchState === 'fetching').toBe(true);
    expect(await lag(topic, groupId)).toBeGreaterThan(800n);
    await runtime1.stop();
    const firstRun = sink1.seen.length;
    // Clean shutdown: every completed record is committed (partition order: completions are contiguous).
    expect(await lag(topic, groupId)).toBe(BigInt(1200 - firstRun));

    const sink2 = new RecordingSink(new SimulatedSink({ processingTimeMs: 0 }));
    const runtime2 = createKafkaConsumer({
      brokers: [broker.bootstrap],
      groupId,
      topics: [topic],
      sink: sink2,
      ordering: 'key',
      concurrency: 16,
      maxInFlight: 200,
      commitIntervalMs: 100,
      deadLetter: false,
    });
    await runtime2.start();
    await until(async () => runtime2.stats().consumed >= 1200 - firstRun);
    await runtime2.stop();
    expect(await lag(topic, groupId)).toBe(0n);
    // Together: every record exactly once.
    const all = [...sink1.seen, ...sink2.seen];
    expect(all).toHaveLength(1200);
    expect(new Set(all).size).toBe(1200);
    // The second run started where the first one's commits ended.
    for (const p of [0, 1, 2]) {
      const firstMax = Math.max(
        -1,
        ...sink1.seen.filter((x) => x.startsWith(`${p}:`)).map((x) => Number(x.split(':')[1])),
      );
      const secondMin = Math.min(
        ...sink2.seen.filter((x) => x.startsWith(`${p}:`)).map((x) => Number(x.split(':')[1])),
      );
      expect(secondMin).toBe(firstMax + 1);
    }
  });

  it('stays in the group while it has no credits and fetches nothing for longer than the session timeout', async () => {
    const topic = 'stalled';
    const groupId = 'stalled-group';
    await produce(topic, 1, 20);
    const runtime = createKafkaConsumer({
      brokers: [broker.bootstrap],
      groupId,
      topics: [topic],
      // Two records take the sink 8 s each: the credits (2) are gone for longer than the session (6 s).
      sink: new SimulatedSink({ processingTimeMs: 8000 }),
      ordering: 'none',
      concurrency: 2,
      maxInFlight: 2,
      minFetchRecords: 1,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      commitIntervalMs: 200,
      // The next two 8 s writes are given up at shutdown (not committed: redone by the next owner).
      shutdownDrainTimeoutMs: 200,
      deadLetter: false,
    });
    const rebalances: unknown[] = [];
    runtime.on('revoking', (e) => rebalances.push(e));
    await runtime.start();
    await until(() => runtime.stats().inFlightRecords === 2);
    const fetches = runtime.stats().fetches;
    await new Promise((r) => setTimeout(r, 7000));
    expect(runtime.stats().fetchState).toBe('no-credits');
    expect(runtime.stats().fetches).toBe(fetches);
    await until(() => runtime.stats().consumed >= 2);
    await until(async () => (await lag(topic, groupId)) === 18n);
    // No rebalance happened: the heartbeat timer kept the member alive and its commit was accepted.
    expect(rebalances).toHaveLength(0);
    const group = await admin.describeGroup(groupId);
    expect(group.members).toHaveLength(1);
    await runtime.stop();
  }, 30_000);

  it('dead-letters a poison record to a real topic with its headers, and moves on', async () => {
    const topic = 'poison';
    const groupId = 'poison-group';
    await produce(topic, 1, 20);
    const sink = new SimulatedSink({
      processingTimeMs: 1,
      failWhen: (r) => r.offset === 7n,
    });
    const runtime = createKafkaConsumer({
      brokers: [broker.bootstrap],
      groupId,
      topics: [topic],
      sink,
      ordering: 'partition',
      retry: { maxAttempts: 3, initialBackoffMs: 10 },
      commitIntervalMs: 100,
    });
    await runtime.start();
    await until(() => runtime.stats().consumed >= 20);
    await runtime.stop();
    const s = runtime.stats();
    expect(s.retries).toBe(2);
    expect(s.deadLettered).toBe(1);
    expect(await lag(topic, groupId)).toBe(0n);

    const reader = new ConsumerClient({ cluster, autoOffsetReset: 'earliest' });
    reader.assign([{ topic: `${topic}.dlq`, partition: 0 }]);
    const got = await reader.poll({ maxBytes: 1 << 20, maxWaitMs: 100 });
    const recs = got.flatMap((p) => p.records);
    expect(recs).toHaveLength(1);
    const h = Object.fromEntries(recs[0].headers.map((x) => [x.key, x.value?.toString()]));
    expect(recs[0].key?.toString()).toBe('k7');
    expect(recs[0].value?.toString()).toBe('p0-7'.padEnd(100, '.'));
    expect(h[DLQ_HEADERS.offset]).toBe('7');
    expect(h[DLQ_HEADERS.partition]).toBe('0');
    expect(h[DLQ_HEADERS.topic]).toBe(topic);
    expect(h[DLQ_HEADERS.attempts]).toBe('3');
    expect(h[DLQ_HEADERS.error]).toContain('simulated failure');
  });

  it('a second member joining takes partitions over: in-flight work finishes, is committed, nothing is lost', async () => {
    const topic = 'rebalance';
    const groupId = 'rebalance-group';
    await produce(topic, 4, 150);
    const seen: string[] = [];
    const make = (name: string): ConsumerRuntime => {
      const inner = new SimulatedSink({ processingTimeMs: 5, name });
      return createKafkaConsumer({
        brokers: [broker.bootstrap],
        groupId,
        topics: [topic],
        sink: {
          name,
          write: async (r, c) => {
            await inner.write(r, c);
            seen.push(`${r.partition}:${r.offset}`);
          },
        },
        ordering: 'partition',
        concurrency: 4,
        maxInFlight: 40,
        commitIntervalMs: 100,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 5_000,
        heartbeatIntervalMs: 200,
        revokeDrainTimeoutMs: 3_000,
        deadLetter: false,
      });
    };
    const a = make('a');
    const revoked: number[] = [];
    a.on('revoked', (e) => revoked.push(e.partitions.length));
    await a.start();
    await until(() => a.stats().consumed >= 100);
    const b = make('b');
    await b.start();
    await until(() => revoked.length > 0);
    await until(async () => (await lag(topic, groupId)) === 0n, 20_000);
    expect(a.stats().partitions.length + b.stats().partitions.length).toBe(4);
    expect(b.stats().consumed).toBeGreaterThan(0);
    await Promise.all([a.stop(), b.stop()]);
    // At-least-once: every record written; the hand-over committed before release, so no duplicates either.
    expect(new Set(seen).size).toBe(600);
    expect(seen.length).toBe(600);
  });
});
