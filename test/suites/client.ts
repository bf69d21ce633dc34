/**
 * End-to-end suites of our client (src/client), written once and run against the embedded broker
 * (test/client/*.test.ts) and the three-broker Kafka cluster (test/kafka/client.test.ts): what a user
 * relies on when moving from one to the other. Where Kafka behaves differently the test branches on
 * `target().kind` and says why.
 */
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import type { Admission, Delivery, OverflowStrategy } from '../../src/client/accumulator.js';
import { ResourceType } from '../../src/client/admin.js';
import type { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { BufferOverflowError, KafkaBrokerError } from '../../src/client/errors.js';
import { fetchRecords } from '../../src/client/fetcher.js';
import { GroupMember } from '../../src/client/group.js';
import { Producer } from '../../src/client/producer.js';
import { CLIENT_VERSIONS } from '../../src/client/versions.js';
import { Credits } from '../../src/flow/credits.js';
import { ApiKey, apiName } from '../../src/protocol/api-keys.js';
import { KAFKA_MIN_SESSION_TIMEOUT_MS } from '../helpers/kafka.js';
import type { Target } from '../helpers/targets.js';
import { brokersOf, type ClientFixture, clientFixture, settled, sleep, until } from './common.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel, Partitioners } = require('kafkajs');

interface ReadRecord {
  partition: number;
  offset: bigint;
  key: string | null;
  value: string;
  timestamp: number;
  headers: Record<string, string | null>;
}

/** Everything in a topic, read with our fetch (small limits to exercise paging). */
async function readAll(fx: ClientFixture, topic: string): Promise<ReadRecord[]> {
  const latest = await fx.admin.listOffsets(topic, 'latest');
  const consumer = new ConsumerClient({ cluster: fx.cluster, autoOffsetReset: 'earliest' });
  consumer.assign(latest.map((l) => ({ topic, partition: l.partition })));
  const out: ReadRecord[] = [];
  const end = new Map(latest.map((l) => [l.partition, l.offset]));
  for (let round = 0; round < 1000; round++) {
    const done = latest.every((l) => (consumer.position(topic, l.partition) ?? -1n) >= l.offset);
    if (done && round > 0) break;
    const got = await consumer.poll({ maxBytes: 64 * 1024, partitionMaxBytes: 4096, maxWaitMs: 10 });
    for (const p of got) {
      expect(p.error).toBeUndefined();
      expect(p.highWatermark).toBe(end.get(p.partition));
      for (const r of p.records) {
        out.push({
          partition: r.partition,
          offset: r.offset,
          key: r.key?.toString() ?? null,
          value: r.value!.toString(),
          timestamp: r.timestamp,
          headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? null])),
        });
      }
    }
  }
  return out;
}

/** Produce, fetch, pause/seek and standalone commits through our client. */
export function producerFetchSuite(target: Target): void {
  const fx = clientFixture(target, 'client-suite');

  it('round-trips keys, values, headers and timestamps, in order per partition', async () => {
    const { admin, cluster, name } = fx();
    const topic = name('round-trip');
    await admin.createTopics([{ topic, numPartitions: 3 }]);
    const base = 1_700_000_000_000;
    const producer = new Producer({ cluster, lingerMs: 1 });
    const sent = Array.from({ length: 30 }, (_, i) => ({
      topic,
      partition: i % 3,
      key: i % 5 === 0 ? null : `k${i}`,
      value: `v${i}`,
      timestamp: base + i,
      headers: i % 2 === 0 ? { trace: `t${i}`, empty: null } : [{ key: 'dup', value: 'a' }],
    }));
    const deliveries = await producer.send(sent);
    await producer.close();
    expect(deliveries.every((d) => d.status === 'delivered')).toBe(true);
    const read = await readAll(fx(), topic);
    expect(read).toHaveLength(30);
    for (const r of read) {
      const i = Number(r.value.slice(1));
      expect(r.partition).toBe(i % 3);
      expect(r.key).toBe(i % 5 === 0 ? null : `k${i}`);
      expect(r.timestamp).toBe(base + i);
      expect(r.headers).toEqual(i % 2 === 0 ? { trace: `t${i}`, empty: null } : { dup: 'a' });
    }
    for (let p = 0; p < 3; p++) {
      const inPartition = read.filter((r) => r.partition === p);
      expect(inPartition.map((r) => r.offset)).toEqual(inPartition.map((_, i) => BigInt(i)));
      const values = inPartition.map((r) => Number(r.value.slice(1)));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  });

  it('puts keyed records on the partitions kafkajs uses, and reads them back in order', async () => {
    const { admin, cluster, name } = fx();
    const ours = name('keyed');
    const theirs = name('keyed-kafkajs');
    await admin.createTopics([
      { topic: ours, numPartitions: 6 },
      { topic: theirs, numPartitions: 6 },
    ]);
    const keys = Array.from({ length: 120 }, (_, i) => `customer-${i * 37}`);

    const producer = new Producer({ cluster, lingerMs: 1 });
    const delivered = await producer.send(keys.map((k, i) => ({ topic: ours, key: k, value: `v${i}` })));
    await producer.close();

    const kafka = new Kafka({
      brokers: brokersOf(target()),
      clientId: 'kafkajs-ref',
      logLevel: logLevel.NOTHING,
    });
    const kp = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await kp.connect();
    await kp.send({ topic: theirs, messages: keys.map((k, i) => ({ key: k, value: `v${i}` })) });
    await kp.disconnect();

    const theirPartition = new Map((await readAll(fx(), theirs)).map((r) => [r.key, r.partition]));
    expect(theirPartition.size).toBe(120);
    for (const [i, d] of delivered.entries()) {
      expect(d.status).toBe('delivered');
      expect(d.partition, keys[i]).toBe(theirPartition.get(keys[i]));
    }
    const read = await readAll(fx(), ours);
    expect(read).toHaveLength(120);
    for (const r of read) expect(r.partition).toBe(theirPartition.get(r.key));
    for (let p = 0; p < 6; p++) {
      const values = read.filter((r) => r.partition === p).map((r) => Number(r.value.slice(1)));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  });

  async function runStrategy(base: string, strategy: OverflowStrategy, count: number, bufferBytes: number) {
    const { admin, cluster, name } = fx();
    const topic = name(base);
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const producer = new Producer({ cluster, bufferBytes, batchBytes: 1024, lingerMs: 1, strategy });
    const events = { drop: 0, sample: 0, highWater: 0, overflow: 0 };
    producer.on('drop', () => events.drop++);
    producer.on('sample', () => events.sample++);
    producer.on('highWater', () => events.highWater++);
    producer.on('overflow', () => events.overflow++);
    await producer.connect();
    await cluster.topic(topic);
    // Offered all at once, before the sender gets a turn: the buffer overflows for sure.
    const offers = Array.from({ length: count }, (_, i) =>
      producer.produce({ topic, value: `${base}-${String(i).padStart(5, '0')}-${'x'.repeat(60)}` }).then(
        (a): Admission | Error => a,
        (e: Error) => e,
      ),
    );
    const admissions = await Promise.all(offers);
    const deliveries = await Promise.all(
      admissions.map((a) => (a instanceof Error || a.status !== 'queued' ? null : a.delivery)),
    );
    await producer.flush();
    const stats = producer.stats();
    await producer.close();
    const delivered = deliveries.filter(
      (d): d is Delivery & { status: 'delivered' } => d?.status === 'delivered',
    );
    const read = await readAll(fx(), topic);
    // What was reported delivered is exactly what the broker has, at the reported offsets.
    expect(read.map((r) => `${r.partition}@${r.offset}`).sort()).toEqual(
      delivered.map((d) => `${d.partition}@${d.offset}`).sort(),
    );
    return { admissions, deliveries, delivered, read, stats, events };
  }

  it('overflow block: every record gets through, the fast caller waits', async () => {
    const r = await runStrategy('s-block', { kind: 'block', maxBlockMs: 10_000 }, 400, 2048);
    expect(r.delivered).toHaveLength(400);
    expect(r.stats).toMatchObject({ dropped: 0, sampledOut: 0, rejected: 0, blockTimeouts: 0, failed: 0 });
    expect(r.stats.maxBufferedBytes).toBeLessThanOrEqual(2048);
    const values = r.read.map((x) => x.value.slice(8, 13)).sort();
    expect(new Set(values).size).toBe(400);
  });

  it('overflow buffer: the spill absorbs a burst, warns at the high mark and refuses the rest, counted', async () => {
    const r = await runStrategy('s-buffer', { kind: 'buffer', spillBytes: 4096, highMark: 0.5 }, 200, 2048);
    const rejected = r.admissions.filter((a) => a instanceof BufferOverflowError);
    expect(r.stats.maxBufferedBytes).toBeGreaterThan(2048);
    expect(r.stats.maxBufferedBytes).toBeLessThanOrEqual(2048 + 4096);
    expect(rejected.length).toBe(r.stats.rejected);
    expect(rejected.length).toBeGreaterThan(0);
    expect(r.events.overflow).toBe(rejected.length);
    expect(r.events.highWater).toBeGreaterThanOrEqual(1);
    expect(r.delivered.length + rejected.length).toBe(200);
  });

  for (const which of ['newest', 'oldest'] as const) {
    it(`overflow drop ${which}: the buffer stays bounded and every drop is counted`, async () => {
      const r = await runStrategy(`s-drop-${which}`, { kind: 'drop', which }, 300, 2048);
      const dropped =
        r.admissions.filter((a) => !(a instanceof Error) && a.status === 'dropped').length +
        r.deliveries.filter((d) => d?.status === 'dropped').length;
      expect(dropped).toBeGreaterThan(0);
      expect(dropped).toBe(r.stats.dropped);
      expect(r.events.drop).toBe(dropped);
      expect(r.delivered.length + dropped).toBe(300);
      expect(r.stats.maxBufferedBytes).toBeLessThanOrEqual(2048);
      if (which === 'oldest') {
        // The newest record always survives when the oldest are evicted.
        expect(r.read.some((x) => x.value.includes('-00299-'))).toBe(true);
        expect(r.stats.droppedOldest).toBe(dropped);
      } else {
        expect(r.read.some((x) => x.value.includes('-00000-'))).toBe(true);
        expect(r.stats.droppedNewest).toBe(dropped);
      }
    });
  }

  it('overflow sample: above the mark only the configured fraction is kept, the rest counted', async () => {
    const r = await runStrategy('s-sample', { kind: 'sample', rate: 0.2, above: 0.5 }, 300, 4096);
    const sampledOut = r.admissions.filter((a) => !(a instanceof Error) && a.status === 'sampled-out').length;
    expect(sampledOut).toBe(r.stats.sampledOut);
    expect(r.events.sample).toBe(sampledOut);
    expect(r.stats.sampledKept).toBeGreaterThan(0);
    // Of the records offered above the mark, one in five was kept (minus any the full buffer dropped).
    expect(r.stats.sampledKept * 4).toBeLessThanOrEqual(sampledOut + 4);
    expect(r.delivered.length + sampledOut + r.stats.dropped).toBe(300);
  });

  it('fetch honours per-partition byte limits and reports high watermarks', async () => {
    const { admin, cluster, name } = fx();
    const topic = name('limits');
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    const producer = new Producer({ cluster, batchBytes: 200, lingerMs: 0 });
    for (let i = 0; i < 5; i++)
      await producer.send(
        Array.from({ length: 5 }, (_, j) => ({ topic, partition: 0, value: `b${i}r${j}` })),
      );
    await producer.close();
    const small = await fetchRecords(cluster, {
      partitions: [{ topic, partition: 0, offset: 0n, maxBytes: 1 }],
      maxBytes: 1,
      maxWaitMs: 0,
    });
    // At least one whole batch comes back even if it exceeds the limit, and no more.
    expect(small.partitions[0].records.map((r) => r.value?.toString())).toEqual([
      'b0r0',
      'b0r1',
      'b0r2',
      'b0r3',
      'b0r4',
    ]);
    expect(small.partitions[0].highWatermark).toBe(25n);
    expect(small.partitions[0].nextOffset).toBe(5n);
    const mid = await fetchRecords(cluster, {
      partitions: [{ topic, partition: 0, offset: 7n, maxBytes: 1 << 20 }],
      maxBytes: 1 << 20,
      maxWaitMs: 0,
    });
    // Fetching from inside a batch skips the records before the requested offset.
    expect(mid.partitions[0].records[0].offset).toBe(7n);
    expect(mid.partitions[0].records).toHaveLength(18);
  });

  it('pause, resume and seek steer what poll returns', async () => {
    const { admin, cluster, name } = fx();
    const topic = name('steer');
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    await producer.send(
      [0, 1].flatMap((p) =>
        Array.from({ length: 3 }, (_, i) => ({ topic, partition: p, value: `p${p}-${i}` })),
      ),
    );
    await producer.close();
    const consumer = new ConsumerClient({ cluster });
    consumer.assign([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    consumer.pause([{ topic, partition: 1 }]);
    const first = await consumer.poll({ maxBytes: 1 << 20, maxWaitMs: 0 });
    expect(first.map((p) => p.partition)).toEqual([0]);
    expect(first[0].records.map((r) => r.value?.toString())).toEqual(['p0-0', 'p0-1', 'p0-2']);
    consumer.resume([{ topic, partition: 1 }]);
    consumer.seek(topic, 0, 1n);
    const second = await consumer.poll({ maxBytes: 1 << 20, maxWaitMs: 0 });
    const byPartition = new Map(second.map((p) => [p.partition, p.records.map((r) => r.value?.toString())]));
    expect(byPartition.get(0)).toEqual(['p0-1', 'p0-2']);
    expect(byPartition.get(1)).toEqual(['p1-0', 'p1-1', 'p1-2']);
    expect(consumer.position(topic, 1)).toBe(3n);
  });

  it('a consumer resumes from the offsets its group committed, else from the reset policy', async () => {
    const { admin, cluster, name } = fx();
    const topic = name('resume');
    const groupId = name('resume-group');
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    await producer.send(
      [0, 1].flatMap((p) =>
        Array.from({ length: 4 }, (_, i) => ({ topic, partition: p, value: `p${p}-${i}` })),
      ),
    );
    await producer.close();
    const first = new ConsumerClient({ cluster, groupId });
    first.assign([{ topic, partition: 0 }]);
    await first.poll({ maxBytes: 1 << 20, maxWaitMs: 0 });
    expect(first.position(topic, 0)).toBe(4n);
    // Commit half way: the next owner must start at offset 2, not at the end this consumer reached.
    await first.commit([{ topic, partition: 0, offset: 2n, metadata: 'half' }]);
    expect(await admin.fetchOffsets(groupId, [{ topic, partitions: [0, 1] }])).toMatchObject([
      { topic, partition: 0, offset: 2n, metadata: 'half' },
      { topic, partition: 1, offset: -1n },
    ]);

    const next = new ConsumerClient({ cluster, groupId, autoOffsetReset: 'latest' });
    next.assign([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    const got = await next.poll({ maxBytes: 1 << 20, maxWaitMs: 0 });
    expect(got.find((p) => p.partition === 0)?.records.map((r) => r.value?.toString())).toEqual([
      'p0-2',
      'p0-3',
    ]);
    // Partition 1 had no commit: 'latest' puts it at the end, so nothing old is read.
    expect(got.find((p) => p.partition === 1)?.records ?? []).toEqual([]);
    expect(next.position(topic, 1)).toBe(4n);
  });

  it('acks=0 and gzip still deliver; idempotent producers use sequence numbers', async () => {
    const { admin, cluster, name } = fx();
    const topic = name('modes');
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    // The acknowledged gzip batch goes first: on a fresh topic Kafka's leader may not be ready yet, and
    // an acks=0 record it refuses is lost without a word, which is what acks=0 means.
    const gz = new Producer({ cluster, compression: 'gzip', lingerMs: 0 });
    await gz.send([{ topic, partition: 0, value: 'gz'.repeat(100) }]);
    await gz.close();
    const fireAndForget = new Producer({ cluster, acks: 0, lingerMs: 0 });
    await fireAndForget.send([{ topic, partition: 0, value: 'a0' }]);
    await fireAndForget.close();
    // No answer comes for acks=0: the log end is the only way to see that the record arrived.
    await until(
      'the acks=0 record is in the log',
      async () => (await admin.listOffsets(topic, 'latest'))[0].offset === 2n,
    );
    const idem = new Producer({ cluster, idempotent: true, lingerMs: 0 });
    const d = await idem.send([1, 2].map((i) => ({ topic, partition: 0, value: `i${i}` })));
    // A second batch continues the partition's sequence; the broker checks it and would refuse a gap.
    d.push(...(await idem.send([{ topic, partition: 0, value: 'i3' }])));
    await idem.close();
    expect(d.map((x) => (x.status === 'delivered' ? x.offset : -1n))).toEqual([2n, 3n, 4n]);
    expect(d.every((x) => x.status === 'delivered')).toBe(true);
    const read = await readAll(fx(), topic);
    expect(read.map((r) => r.value.slice(0, 2))).toEqual(['gz', 'a0', 'i1', 'i2', 'i3']);
  });

  it('a producer sends to partitions added after it cached the metadata', async () => {
    const { admin, newCluster, name } = fx();
    const topic = name('grown');
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    const own = newCluster('grown-producer');
    const producer = new Producer({ cluster: own, lingerMs: 0 });
    await producer.send([{ topic, partition: 0, value: 'before' }]);
    expect(own.cachedTopic(topic)?.partitions).toHaveLength(1);
    // Added through another client, so the producer's cache still says one partition. On Kafka the
    // answer also comes before every broker lists the new partitions; the producer waits for them.
    await admin.createPartitions(topic, 3);
    const d = await producer.send([
      { topic, partition: 1, value: 'p1' },
      { topic, partition: 2, value: 'p2' },
    ]);
    await producer.close();
    expect(d.map((x) => (x.status === 'delivered' ? [x.partition, x.offset] : x.status))).toEqual([
      [1, 0n],
      [2, 0n],
    ]);
  });

  it('says what is wrong when a topic does not exist and auto-creation is off', async () => {
    const { newCluster, name } = fx();
    const strict = newCluster('strict', { retry: { retries: 1, initialBackoffMs: 10 } });
    const producer = new Producer({ cluster: strict, autoCreateTopics: false });
    await expect(producer.produce({ topic: name('no-such-topic'), value: 'x' })).rejects.toThrow(
      /UNKNOWN_TOPIC_OR_PARTITION.*create it, or check the name/,
    );
    await producer.close();
  });
}

/** The replica and in-sync replica lists of each partition of `topic`, from a Metadata request. */
async function replicaSets(
  cluster: Cluster,
  topic: string,
): Promise<{ replicas: number[]; isr: number[] }[]> {
  const conn = await cluster.anyConnection();
  const res = await conn.request(ApiKey.Metadata, {
    topics: [{ name: topic }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  return res.topics[0].partitions
    .sort((a, b) => a.partitionIndex - b.partitionIndex)
    .map((p) => ({ replicas: [...p.replicaNodes].sort(), isr: [...p.isrNodes].sort() }));
}

/** Topic lifecycle, configs and offsets through our Admin. */
export function adminSuite(target: Target): void {
  const fx = clientFixture(target, 'admin-suite');

  it('has a version in common with every broker for every API it sends, without the flexible fallback', async () => {
    const { cluster } = fx();
    await cluster.refreshMetadata([]);
    const brokers = cluster.knownBrokers();
    expect(brokers).toHaveLength(target().brokers);
    for (const b of brokers) {
      for (const key of Object.keys(CLIENT_VERSIONS).map(Number)) {
        // Kafka 4 dropped many old versions (KIP-896); the ones we prefer must all have survived.
        const v = await cluster.broker(b.nodeId).versionFor(key);
        expect(v, apiName(key)).toBeGreaterThanOrEqual(CLIENT_VERSIONS[key].min);
        expect(v, apiName(key)).toBeLessThanOrEqual(CLIENT_VERSIONS[key].max);
      }
    }
  });

  it('creates, grows, configures and deletes topics, with clear errors', async () => {
    const { admin, cluster, name } = fx();
    const topic = name('adm');
    await admin.createTopics([{ topic, numPartitions: 2, configs: { 'retention.ms': '60000' } }]);
    await expect(admin.createTopics([{ topic, numPartitions: 2 }])).rejects.toThrow(
      new RegExp(`CreateTopics "${topic}".*TOPIC_ALREADY_EXISTS.*Pick another name`),
    );
    await admin.createPartitions(topic, 5);
    await settled(target, 'five partitions', async () => {
      cluster.invalidate(topic);
      expect((await cluster.topic(topic)).partitions).toHaveLength(5);
    });
    await expect(admin.createPartitions(topic, 3)).rejects.toBeInstanceOf(KafkaBrokerError);

    const retention = () =>
      admin.describeConfigs({ type: ResourceType.Topic, name: topic }, ['retention.ms']);
    await settled(target, 'retention.ms as created', async () => {
      expect(await retention()).toEqual([expect.objectContaining({ name: 'retention.ms', value: '60000' })]);
    });
    await admin.alterConfigs({ type: ResourceType.Topic, name: topic }, { 'retention.ms': '120000' });
    await settled(target, 'retention.ms as altered', async () => {
      expect((await retention())[0].value).toBe('120000');
    });
    await expect(
      admin.alterConfigs({ type: ResourceType.Topic, name: topic }, { 'no.such.config': '1' }),
    ).rejects.toThrow(/INVALID_CONFIG/);

    await admin.deleteTopics([topic]);
    await settled(target, 'the deleted topic gone from metadata', async () => {
      await cluster.refreshMetadata(null);
      expect(cluster.cachedTopic(topic)).toBeUndefined();
    });
    await expect(admin.deleteTopics([topic])).rejects.toThrow(/UNKNOWN_TOPIC_OR_PARTITION/);
  });

  it('creates topics replicated the way the cluster is configured by default', async () => {
    const { admin, cluster, name } = fx();
    const topic = name('replicated');
    await admin.createTopics([{ topic, numPartitions: 3 }]);
    const all = Array.from({ length: target().brokers }, (_, i) => i + 1);
    // On Kafka the broker answering may learn of the new topic a moment after CreateTopics returned.
    await until('every partition has all its replicas in sync', async () => {
      const sets = await replicaSets(cluster, topic);
      return sets.length === 3 && sets.every((p) => p.isr.length === target().brokers);
    });
    const sets = await replicaSets(cluster, topic);
    expect(sets).toHaveLength(3);
    if (target().kind === 'kafka') {
      // The rig's cluster has default.replication.factor=3: a topic created without a replication
      // factor lives on all three brokers (Kafka numbers them 1-3), all in sync.
      for (const p of sets) expect(p).toEqual({ replicas: all, isr: all });
    } else {
      // One broker: each partition is its only replica.
      for (const p of sets) expect(p.replicas).toHaveLength(1);
    }
  });

  it('lists offsets: earliest, latest and by timestamp', async () => {
    const { admin, cluster, name } = fx();
    const topic = name('times');
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    for (let i = 0; i < 5; i++) {
      await producer.send([{ topic, partition: 0, value: `t${i}`, timestamp: 1_000_000 + i * 1000 }]);
    }
    await producer.close();
    expect((await admin.listOffsets(topic, 'earliest'))[0].offset).toBe(0n);
    expect((await admin.listOffsets(topic, 'latest'))[0].offset).toBe(5n);
    const byTime = await admin.listOffsets(topic, { timestamp: 1_002_500 });
    expect(byTime[0]).toMatchObject({ offset: 3n, timestamp: 1_003_000 });
  });

  it('describes the cluster and lists offset ranges of several topics in one batched call', async () => {
    const { admin, cluster, name } = fx();
    const [a, b] = [name('ranges-a'), name('ranges-b')];
    await admin.createTopics([
      { topic: a, numPartitions: 2 },
      { topic: b, numPartitions: 1 },
    ]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    for (let i = 0; i < 3; i++) await producer.send([{ topic: a, partition: 1, value: `a${i}` }]);
    await producer.send([{ topic: b, partition: 0, value: 'b0' }]);
    await producer.close();
    await admin.deleteRecords(a, [{ partition: 1, offset: 1n }]);
    await settled(target, 'both topics in the cluster description', async () => {
      const described = await admin.describeCluster();
      expect(described.brokers).toHaveLength(target().brokers);
      const names = described.topics.filter((t) => t.errorCode === 0).map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining([a, b]));
      const ta = described.topics.find((t) => t.name === a);
      expect(ta?.partitions.map((p) => p.partition).sort()).toEqual([0, 1]);
    });
    const listed = await admin.listOffsetRanges(
      new Map([
        [a, [0, 1]],
        [b, [0]],
        [name('no-such-topic'), [0]],
      ]),
    );
    const sorted = listed.results.sort((x, y) =>
      x.topic === y.topic ? x.partition - y.partition : x.topic < y.topic ? -1 : 1,
    );
    expect(sorted).toEqual([
      { topic: a, partition: 0, start: 0n, end: 0n },
      { topic: a, partition: 1, start: 1n, end: 3n },
      { topic: b, partition: 0, start: 0n, end: 1n },
    ]);
    // The unknown topic is a failure line, not an exception that hides the answers that came.
    expect(listed.failures.join('\n')).toMatch(/no-such-topic/);
  });

  it('deletes records before an offset: the log start moves there, fetching below it is out of range', async () => {
    const { admin, cluster, name } = fx();
    const topic = name('purge');
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    await producer.send(Array.from({ length: 5 }, (_, i) => ({ topic, partition: 0, value: `r${i}` })));
    await producer.close();
    expect(await admin.deleteRecords(topic, [{ partition: 0, offset: 3n }])).toEqual([
      { partition: 0, lowWatermark: 3n },
    ]);
    expect((await admin.listOffsets(topic, 'earliest'))[0].offset).toBe(3n);
    const read = await fetchRecords(cluster, {
      partitions: [{ topic, partition: 0, offset: 0n, maxBytes: 65536 }],
      maxBytes: 65536,
      maxWaitMs: 0,
    });
    expect(read.partitions[0].error).toBeInstanceOf(KafkaBrokerError);
    expect((read.partitions[0].error as KafkaBrokerError).code).toBe(1);
    // Past the high watermark is refused, naming the partition.
    await expect(admin.deleteRecords(topic, [{ partition: 1, offset: 9n }])).rejects.toThrow(
      new RegExp(`DeleteRecords ${topic}/1.*OFFSET_OUT_OF_RANGE`),
    );
  });
}

/**
 * Group membership through our GroupMember. Session timeouts differ by target: Kafka refuses any
 * below group.min.session.timeout.ms (6 s by default, which the rig keeps), while the embedded broker
 * is registered with a 300 ms floor to keep these tests short. The behaviour is the same.
 */
export function groupSuite(target: Target): void {
  const fx = clientFixture(target, 'group-suite');
  const onKafka = () => target().kind === 'kafka';

  async function produce(topic: string, from: number, count: number) {
    const producer = new Producer({ cluster: fx().newCluster(`p-${topic}-${from}`), lingerMs: 1 });
    await producer.send(
      Array.from({ length: count }, (_, i) => ({ topic, key: `k${from + i}`, value: `r${from + i}` })),
    );
    await producer.close();
  }

  /** A member that consumes what it is assigned, commits after each poll and on revocation. */
  function startWorker(name: string, topic: string, groupId: string, seen: Map<string, string[]>) {
    const cluster = fx().newCluster(name);
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
      sessionTimeoutMs: onKafka() ? 6000 : 1500,
      heartbeatIntervalMs: 100,
      rebalanceTimeoutMs: 5000,
      onAssign: (parts) =>
        consumer.assign(
          parts.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))),
        ),
      onRevoke: async (parts) => {
        const revoked = new Set(parts.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p}`)));
        const mine = positions().filter((p) => revoked.has(`${p.topic}/${p.partition}`));
        await member.commit(mine).catch(() => {});
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

  it('a three-member group rebalances as members come and go, without losing a record', async () => {
    const { admin, name } = fx();
    const topic = name('orders');
    const groupId = name('order-workers');
    await admin.createTopics([{ topic, numPartitions: 6 }]);
    const seen = new Map<string, string[]>();
    await produce(topic, 0, 300);
    const a = startWorker('a', topic, groupId, seen);
    await until('a reads something', () => seen.size > 0);
    const b = startWorker('b', topic, groupId, seen);
    await produce(topic, 300, 300);
    const c = startWorker('c', topic, groupId, seen);
    await until(
      'three members share the partitions',
      () => [a, b, c].every((w) => w.member.stats().state === 'stable' && w.member.stats().assigned === 2),
      30_000,
    );
    await produce(topic, 600, 300);
    await until('900 records consumed', () => seen.size === 900);
    await a.stop();
    await until(
      'b and c take over a’s partitions',
      () =>
        [b, c].every((w) => w.member.stats().state === 'stable') &&
        b.member.stats().assigned + c.member.stats().assigned === 6,
      30_000,
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
  }, 90_000);

  it('keeps heartbeating while the application sleeps past half the session timeout', async () => {
    const { admin, name, newCluster } = fx();
    const topic = name('slow-handler');
    const groupId = name('slow-group');
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const sessionTimeoutMs = onKafka() ? KAFKA_MIN_SESSION_TIMEOUT_MS : 1200;
    const heartbeatIntervalMs = onKafka() ? 300 : 150;
    const make = (id: string) =>
      new GroupMember({
        cluster: newCluster(id),
        groupId,
        topics: [topic],
        sessionTimeoutMs,
        heartbeatIntervalMs,
      });
    const slow = make('slow');
    const other = make('other');
    await Promise.all([slow.join(), other.join()]);
    await until(
      'both stable with one partition each',
      () => [slow, other].every((m) => m.stats().state === 'stable' && m.stats().assigned === 1),
      30_000,
    );
    const before = { slow: slow.stats(), other: other.stats() };
    // The "handler": a long await, well past half the session timeout, twice.
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
  }, 60_000);

  it('a member that stops heartbeating is removed and the others take its partitions', async () => {
    const { admin, name, newCluster } = fx();
    const topic = name('expiry');
    const groupId = name('expiry-group');
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const make = (id: string) =>
      new GroupMember({
        cluster: newCluster(id),
        groupId,
        topics: [topic],
        sessionTimeoutMs: onKafka() ? KAFKA_MIN_SESSION_TIMEOUT_MS : 600,
        heartbeatIntervalMs: onKafka() ? 300 : 100,
      });
    const gone = make('gone');
    const stays = make('stays');
    await Promise.all([gone.join(), stays.join()]);
    await until(
      'one partition each',
      () => gone.stats().assigned === 1 && stays.stats().assigned === 1,
      30_000,
    );
    // Simulate a crashed process: its connections drop and nothing more is sent.
    (gone as unknown as { stopHeartbeats(): void }).stopHeartbeats();
    await until(
      'the survivor owns both partitions',
      () => stays.stats().state === 'stable' && stays.stats().assigned === 2,
      30_000,
    );
    const desc = await admin.describeGroup(groupId);
    expect(desc.members.map((m) => m.memberId)).toEqual([stays.memberId]);
    expect(desc.protocol).toBe('range');
    await stays.leave();
  }, 60_000);
}

/** A fetch loop whose byte limits come from credits the (slow) sink gives back. */
export function creditFetchSuite(target: Target): void {
  const fx = clientFixture(target, 'credit-suite');

  it('never holds more than the granted window (plus the one batch Kafka always returns)', async () => {
    const { admin, cluster, name } = fx();
    const topic = name('credit-driven');
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const producer = new Producer({ cluster, lingerMs: 0, batchBytes: 8 * 1024 });
    for (let i = 0; i < 10; i++) {
      await producer.send(
        Array.from({ length: 20 }, (_, j) => ({
          topic,
          partition: (i + j) % 2,
          value: Buffer.alloc(500, i),
        })),
      );
    }
    await producer.close();

    const window = 16 * 1024;
    const credits = new Credits({ initial: window, max: window });
    const consumer = new ConsumerClient({ cluster, autoOffsetReset: 'earliest' });
    consumer.assign([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    const queue: { bytes: number; records: number }[] = [];
    let held = 0;
    let maxHeld = 0;
    let fetched = 0;
    let processed = 0;
    const sink = (async () => {
      // A slow sink: one chunk every 5 ms, giving its bytes back as credits when done.
      while (processed < 200) {
        const chunk = queue.shift();
        if (!chunk) {
          await sleep(1);
          continue;
        }
        await sleep(5);
        processed += chunk.records;
        held -= chunk.bytes;
        credits.grant(chunk.bytes);
      }
    })();
    while (fetched < 200) {
      await credits.acquire(1); // wait until the sink has given something back
      const allowance = credits.available + 1;
      const got = await consumer.poll({ maxBytes: allowance, partitionMaxBytes: allowance, maxWaitMs: 10 });
      const bytes = got.reduce((s, p) => s + p.bytes, 0);
      const records = got.reduce((s, p) => s + p.records.length, 0);
      credits.revoke(Math.max(0, bytes - 1));
      if (records === 0) {
        credits.grant(1);
        continue;
      }
      fetched += records;
      held += bytes;
      maxHeld = Math.max(maxHeld, held);
      queue.push({ bytes, records });
    }
    await sink;
    expect(processed).toBe(200);
    expect(maxHeld).toBeGreaterThan(0);
    // Kafka returns at least one whole batch even past the limit, so the bound is the window plus one
    // batch per partition (batches here are at most 8 KiB + one 521-byte record). Without credits the
    // loop would have pulled all ~104 KiB in.
    const oneBatch = 8 * 1024 + 600;
    expect(maxHeld).toBeLessThanOrEqual(window + 2 * oneBatch);
    expect(credits.stats.granted).toBeGreaterThan(0);
  });
  it('serves a partition whose batch exceeds partition_max_bytes in turn, not after a busy one', async () => {
    const { admin, cluster, name } = fx();
    const topic = name('credit-turns');
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    // One batch per send: p0 holds five, p1 one, each far larger than the 100 bytes asked per partition.
    for (let i = 0; i < 5; i++) await producer.send([{ topic, partition: 0, value: Buffer.alloc(1000, i) }]);
    await producer.send([{ topic, partition: 1, value: Buffer.alloc(1000, 9) }]);
    await producer.close();
    const consumer = new ConsumerClient({ cluster, autoOffsetReset: 'earliest' });
    consumer.assign([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    // A broker returns an oversized batch only for the first partition of a Fetch with data (KIP-74), so
    // a client that always listed p0 first would reach p1 only once p0 ran dry. (On a cluster whose two
    // leaders differ each Fetch names one partition and both come at once.)
    const served = new Set<number>();
    for (let poll = 0; poll < 2; poll++) {
      const got = await consumer.poll({ maxBytes: 1 << 20, partitionMaxBytes: 100, maxWaitMs: 10 });
      for (const p of got) if (p.records.length > 0) served.add(p.partition);
    }
    expect([...served].sort()).toEqual([0, 1]);
    consumer.close();
  });
}
