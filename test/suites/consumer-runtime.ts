/**
 * The consumer runtime (src/consumer) against a broker, written once and run against the embedded
 * broker (test/e2e/consumer-broker.test.ts) and the three-broker Kafka cluster
 * (test/kafka/consumer-runtime.test.ts): a slow sink turns into lag in the broker while the consumer
 * holds at most maxInFlight records; commits follow the sink and a restart resumes from them; a paused
 * partition stays in the broker; per-key order holds; a poison record lands in a real dead-letter topic;
 * a rebalance hands partitions over without losing a record.
 *
 * Every timing here (session 6 s and up) is at or above Kafka's group.min.session.timeout.ms, so no
 * test needs to branch on the target.
 */
import { expect, it } from 'vitest';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { Producer } from '../../src/client/producer.js';
import { createKafkaConsumer, type KafkaConsumerOptions } from '../../src/consumer/create.js';
import { DLQ_HEADERS } from '../../src/consumer/dead-letter.js';
import type { ConsumerRuntime } from '../../src/consumer/runtime.js';
import { SimulatedSink } from '../../src/consumer/sinks/simulated.js';
import type { ConsumerRecord, Sink, SinkContext } from '../../src/consumer/types.js';
import { KAFKA_MIN_SESSION_TIMEOUT_MS } from '../helpers/kafka.js';
import type { Target } from '../helpers/targets.js';
import { brokersOf, clientFixture, sleep, until } from './common.js';

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

/** The offsets of partition `p` in a RecordingSink's `seen` list, in the order they were written. */
const offsetsOf = (seen: string[], p: number) =>
  seen.filter((x) => x.startsWith(`${p}:`)).map((x) => Number(x.split(':')[1]));

export function consumerRuntimeSuite(target: Target): void {
  const fx = clientFixture(target, 'consumer-suite');

  async function produce(topic: string, partitions: number, perPartition: number): Promise<void> {
    const { admin, cluster } = fx();
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

  /** Records in the broker the group has not committed past, per partition. */
  async function lagByPartition(topic: string, groupId: string): Promise<bigint[]> {
    const { admin } = fx();
    const end = await admin.listOffsets(topic, 'latest');
    const committed = await admin.fetchOffsets(groupId, [{ topic, partitions: end.map((e) => e.partition) }]);
    return end.map((e) => {
      const c = committed.find((x) => x.partition === e.partition)?.offset ?? -1n;
      return e.offset - (c < 0n ? 0n : c);
    });
  }

  const lag = async (topic: string, groupId: string) =>
    (await lagByPartition(topic, groupId)).reduce((s, x) => s + x, 0n);

  const consumer = (options: Omit<KafkaConsumerOptions, 'brokers'>): ConsumerRuntime =>
    createKafkaConsumer({ brokers: brokersOf(target()), ...options });

  it('a slow sink builds lag in the broker, not in memory; a restart resumes from the committed offsets', async () => {
    const topic = fx().name('slow-sink');
    const groupId = fx().name('slow-sink-group');
    await produce(topic, 3, 400);
    const sink1 = new RecordingSink(new SimulatedSink({ processingTimeMs: 20 }));
    const runtime1 = consumer({
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
    await until('150 records consumed', () => runtime1.stats().consumed >= 150);
    // A commit after those 150: the broker knows how far the sink got while the rest waits there.
    const commits = runtime1.stats().commits;
    await until('another commit', () => runtime1.stats().commits > commits);
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
    const runtime2 = consumer({
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
    await until('the rest consumed', () => runtime2.stats().consumed >= 1200 - firstRun);
    await runtime2.stop();
    expect(await lag(topic, groupId)).toBe(0n);
    // Together: every record exactly once.
    const all = [...sink1.seen, ...sink2.seen];
    expect(all).toHaveLength(1200);
    expect(new Set(all).size).toBe(1200);
    // The second run started where the first one's commits ended.
    for (const p of [0, 1, 2]) {
      expect(Math.min(...offsetsOf(sink2.seen, p))).toBe(Math.max(-1, ...offsetsOf(sink1.seen, p)) + 1);
    }
  });

  const SESSION_MS = KAFKA_MIN_SESSION_TIMEOUT_MS;
  it('stays in the group while it has no credits and fetches nothing for longer than the session timeout', async () => {
    const topic = fx().name('stalled');
    const groupId = fx().name('stalled-group');
    await produce(topic, 1, 20);
    const runtime = consumer({
      groupId,
      topics: [topic],
      // Two records take the sink 2 s longer than the session each: the credits (2) are gone for longer
      // than the session (the rig's and the embedded broker's smallest, see consumer-broker.test.ts).
      sink: new SimulatedSink({ processingTimeMs: SESSION_MS + 2000 }),
      ordering: 'none',
      concurrency: 2,
      maxInFlight: 2,
      minFetchRecords: 1,
      sessionTimeoutMs: SESSION_MS,
      heartbeatIntervalMs: 300,
      commitIntervalMs: 200,
      // The next two slow writes are given up at shutdown (not committed: redone by the next owner).
      shutdownDrainTimeoutMs: 200,
      deadLetter: false,
    });
    const rebalances: unknown[] = [];
    runtime.on('revoking', (e) => rebalances.push(e));
    await runtime.start();
    await until('two records in flight', () => runtime.stats().inFlightRecords === 2);
    const fetches = runtime.stats().fetches;
    // Past the session timeout with nothing fetched: only the heartbeat timer speaks for the member.
    await sleep(SESSION_MS + 1000);
    expect(runtime.stats().fetchState).toBe('no-credits');
    expect(runtime.stats().fetches).toBe(fetches);
    await until('the two slow writes done', () => runtime.stats().consumed >= 2);
    await until('their commit accepted', async () => (await lag(topic, groupId)) === 18n);
    // No rebalance happened: the heartbeat timer kept the member alive and its commit was accepted.
    expect(rebalances).toHaveLength(0);
    const group = await fx().admin.describeGroup(groupId);
    expect(group.members).toHaveLength(1);
    await runtime.stop();
  }, 30_000);

  it('a partition paused by hand stays in the broker while the others flow, and resumes where it stopped', async () => {
    const topic = fx().name('paused');
    const groupId = fx().name('paused-group');
    await produce(topic, 2, 50);
    const sink = new RecordingSink(new SimulatedSink({ processingTimeMs: 1 }));
    const runtime = consumer({
      groupId,
      topics: [topic],
      sink,
      ordering: 'partition',
      commitIntervalMs: 50,
      fetchMaxWaitMs: 50,
      deadLetter: false,
    });
    const p1 = { topic, partition: 1 };
    // Paused as soon as it is assigned, before the first fetch.
    runtime.on('assigned', (e: { partitions: { partition: number }[] }) => {
      if (e.partitions.some((p) => p.partition === 1)) runtime.pause([p1]);
    });
    await runtime.start();
    await until('partition 0 consumed and committed', async () => {
      const [lag0] = await lagByPartition(topic, groupId);
      return runtime.stats().consumed >= 50 && lag0 === 0n;
    });
    // Several more fetch rounds, none of which may touch the paused partition.
    const fetches = runtime.stats().fetches;
    await until('three more fetch rounds', () => runtime.stats().fetches >= fetches + 3);
    expect(offsetsOf(sink.seen, 1)).toEqual([]);
    expect(await lagByPartition(topic, groupId)).toEqual([0n, 50n]);
    expect(runtime.stats().paused.partitions).toEqual([p1]);

    runtime.resume([p1]);
    await until('partition 1 consumed and committed', async () => (await lag(topic, groupId)) === 0n);
    await runtime.stop();
    expect(offsetsOf(sink.seen, 1)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(sink.seen).toHaveLength(100);
  });

  it('key ordering: one write per key at a time, in offset order, different keys in parallel', async () => {
    const topic = fx().name('keyed');
    const groupId = fx().name('keyed-group');
    // Keys k0..k12 spread over both partitions, 40 records each partition.
    await produce(topic, 2, 40);
    const active = new Map<string, number>();
    const order = new Map<string, bigint[]>();
    let overlaps = 0;
    let running = 0;
    let maxRunning = 0;
    const runtime = consumer({
      groupId,
      topics: [topic],
      sink: {
        name: 'key-checker',
        async write(r) {
          const k = `${r.partition}/${r.key?.toString()}`;
          if ((active.get(k) ?? 0) > 0) overlaps++;
          active.set(k, (active.get(k) ?? 0) + 1);
          order.set(k, [...(order.get(k) ?? []), r.offset]);
          maxRunning = Math.max(maxRunning, ++running);
          // Uneven latencies, so a runtime that ignored keys would reorder them.
          await sleep(r.offset % 3n === 0n ? 15 : 2);
          running--;
          active.set(k, active.get(k)! - 1);
        },
      },
      ordering: 'key',
      concurrency: 8,
      commitIntervalMs: 50,
      deadLetter: false,
    });
    await runtime.start();
    await until('everything committed', async () => (await lag(topic, groupId)) === 0n);
    await runtime.stop();
    expect(overlaps).toBe(0);
    expect(maxRunning).toBeGreaterThan(1);
    expect([...order.values()].reduce((s, o) => s + o.length, 0)).toBe(80);
    for (const [k, offsets] of order) expect(offsets, k).toEqual([...offsets].sort((a, b) => Number(a - b)));
  });

  it('retries a poison record, dead-letters it to a real topic with its headers, and moves on', async () => {
    const topic = fx().name('poison');
    const groupId = fx().name('poison-group');
    await produce(topic, 1, 20);
    const sink = new SimulatedSink({ processingTimeMs: 1, failWhen: (r) => r.offset === 7n });
    const runtime = consumer({
      groupId,
      topics: [topic],
      sink,
      ordering: 'partition',
      retry: { maxAttempts: 3, initialBackoffMs: 10 },
      commitIntervalMs: 100,
    });
    await runtime.start();
    await until('20 records consumed', () => runtime.stats().consumed >= 20);
    await runtime.stop();
    const s = runtime.stats();
    expect(s.retries).toBe(2);
    expect(s.deadLettered).toBe(1);
    expect(await lag(topic, groupId)).toBe(0n);

    const reader = new ConsumerClient({ cluster: fx().cluster, autoOffsetReset: 'earliest' });
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
    const topic = fx().name('rebalance');
    const groupId = fx().name('rebalance-group');
    await produce(topic, 4, 150);
    const seen: string[] = [];
    const make = (name: string): ConsumerRuntime => {
      const inner = new SimulatedSink({ processingTimeMs: 5, name });
      return consumer({
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
    await until('a consumed 100', () => a.stats().consumed >= 100);
    const b = make('b');
    await b.start();
    await until('a gave partitions up', () => revoked.length > 0);
    await until('everything committed', async () => (await lag(topic, groupId)) === 0n, 20_000);
    expect(a.stats().partitions.length + b.stats().partitions.length).toBe(4);
    expect(b.stats().consumed).toBeGreaterThan(0);
    await Promise.all([a.stop(), b.stop()]);
    // At-least-once: every record written; the hand-over committed before release, so no duplicates either.
    expect(new Set(seen).size).toBe(600);
    expect(seen.length).toBe(600);
  });
}
