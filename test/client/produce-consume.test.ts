import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admission, Delivery, OverflowStrategy } from '../../src/client/accumulator.js';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { BufferOverflowError } from '../../src/client/errors.js';
import { fetchRecords } from '../../src/client/fetcher.js';
import { Producer } from '../../src/client/producer.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel, Partitioners } = require('kafkajs');

let broker: TestBroker;
let cluster: Cluster;
let admin: Admin;

beforeAll(async () => {
  broker = await startTestBroker();
  cluster = new Cluster({ brokers: [broker.bootstrap], clientId: 'client-test' });
  admin = new Admin({ cluster });
  await admin.connect();
});

afterAll(async () => {
  cluster?.close();
  await broker?.stop();
});

/** Everything in a topic, read with our fetch (one partition at a time, small limits to exercise paging). */
async function readAll(
  topic: string,
): Promise<{ partition: number; offset: bigint; key: string | null; value: string }[]> {
  const latest = await admin.listOffsets(topic, 'latest');
  const consumer = new ConsumerClient({ cluster, autoOffsetReset: 'earliest' });
  consumer.assign(latest.map((l) => ({ topic, partition: l.partition })));
  const out: { partition: number; offset: bigint; key: string | null; value: string }[] = [];
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
        });
      }
    }
  }
  return out;
}

describe('producer and fetch against the embedded broker', () => {
  it('puts keyed records on the partitions kafkajs uses, and reads them back in order', async () => {
    await admin.createTopics([
      { topic: 'keyed', numPartitions: 6 },
      { topic: 'keyed-kafkajs', numPartitions: 6 },
    ]);
    const keys = Array.from({ length: 120 }, (_, i) => `customer-${i * 37}`);

    const producer = new Producer({ cluster, lingerMs: 1 });
    const ours = await producer.send(keys.map((k, i) => ({ topic: 'keyed', key: k, value: `v${i}` })));
    await producer.close();

    const kafka = new Kafka({
      brokers: [broker.bootstrap],
      clientId: 'kafkajs-ref',
      logLevel: logLevel.NOTHING,
    });
    const kp = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await kp.connect();
    await kp.send({ topic: 'keyed-kafkajs', messages: keys.map((k, i) => ({ key: k, value: `v${i}` })) });
    await kp.disconnect();

    const theirs = await readAll('keyed-kafkajs');
    const theirPartition = new Map(theirs.map((r) => [r.key, r.partition]));
    expect(theirPartition.size).toBe(120);
    for (const [i, d] of ours.entries()) {
      expect(d.status).toBe('delivered');
      expect(d.partition, keys[i]).toBe(theirPartition.get(keys[i]));
    }
    const read = await readAll('keyed');
    expect(read).toHaveLength(120);
    for (const r of read) expect(r.partition).toBe(theirPartition.get(r.key));
    // Within a partition, records come back in the order they were sent.
    for (let p = 0; p < 6; p++) {
      const values = read.filter((r) => r.partition === p).map((r) => Number(r.value.slice(1)));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  });

  async function runStrategy(topic: string, strategy: OverflowStrategy, count: number, bufferBytes: number) {
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
      producer.produce({ topic, value: `${topic}-${String(i).padStart(5, '0')}-${'x'.repeat(60)}` }).then(
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
    const read = await readAll(topic);
    // What was reported delivered is exactly what the broker has, at the reported offsets.
    expect(read.map((r) => `${r.partition}@${r.offset}`).sort()).toEqual(
      delivered.map((d) => `${d.partition}@${d.offset}`).sort(),
    );
    return { admissions, deliveries, delivered, read, stats, events };
  }

  it('block: every record gets through, the fast caller waits', async () => {
    const r = await runStrategy('s-block', { kind: 'block', maxBlockMs: 10_000 }, 400, 2048);
    expect(r.delivered).toHaveLength(400);
    expect(r.stats).toMatchObject({ dropped: 0, sampledOut: 0, rejected: 0, blockTimeouts: 0, failed: 0 });
    expect(r.stats.maxBufferedBytes).toBeLessThanOrEqual(2048);
    const values = r.read.map((x) => x.value.slice(8, 13)).sort();
    expect(new Set(values).size).toBe(400);
  });

  it('buffer: the spill absorbs a burst, warns at the high mark and refuses the rest, counted', async () => {
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
    it(`drop ${which}: the buffer stays bounded and every drop is counted`, async () => {
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

  it('sample: above the mark only the configured fraction is kept, the rest counted', async () => {
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
    await admin.createTopics([{ topic: 'limits', numPartitions: 1 }]);
    const producer = new Producer({ cluster, batchBytes: 200, lingerMs: 0 });
    for (let i = 0; i < 5; i++)
      await producer.send(
        Array.from({ length: 5 }, (_, j) => ({ topic: 'limits', partition: 0, value: `b${i}r${j}` })),
      );
    await producer.close();
    const small = await fetchRecords(cluster, {
      partitions: [{ topic: 'limits', partition: 0, offset: 0n, maxBytes: 1 }],
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
      partitions: [{ topic: 'limits', partition: 0, offset: 7n, maxBytes: 1 << 20 }],
      maxBytes: 1 << 20,
      maxWaitMs: 0,
    });
    // Fetching from inside a batch skips the records before the requested offset.
    expect(mid.partitions[0].records[0].offset).toBe(7n);
    expect(mid.partitions[0].records).toHaveLength(18);
  });

  it('pause, resume and seek steer what poll returns', async () => {
    await admin.createTopics([{ topic: 'steer', numPartitions: 2 }]);
    const producer = new Producer({ cluster, lingerMs: 0 });
    await producer.send(
      [0, 1].flatMap((p) =>
        Array.from({ length: 3 }, (_, i) => ({ topic: 'steer', partition: p, value: `p${p}-${i}` })),
      ),
    );
    await producer.close();
    const consumer = new ConsumerClient({ cluster });
    consumer.assign([
      { topic: 'steer', partition: 0 },
      { topic: 'steer', partition: 1 },
    ]);
    consumer.pause([{ topic: 'steer', partition: 1 }]);
    const first = await consumer.poll({ maxBytes: 1 << 20, maxWaitMs: 0 });
    expect(first.map((p) => p.partition)).toEqual([0]);
    expect(first[0].records.map((r) => r.value?.toString())).toEqual(['p0-0', 'p0-1', 'p0-2']);
    consumer.resume([{ topic: 'steer', partition: 1 }]);
    consumer.seek('steer', 0, 1n);
    const second = await consumer.poll({ maxBytes: 1 << 20, maxWaitMs: 0 });
    const byPartition = new Map(second.map((p) => [p.partition, p.records.map((r) => r.value?.toString())]));
    expect(byPartition.get(0)).toEqual(['p0-1', 'p0-2']);
    expect(byPartition.get(1)).toEqual(['p1-0', 'p1-1', 'p1-2']);
    expect(consumer.position('steer', 1)).toBe(3n);
  });

  it('acks=0 and gzip still deliver; idempotent producers use sequence numbers', async () => {
    await admin.createTopics([{ topic: 'modes', numPartitions: 1 }]);
    const fireAndForget = new Producer({ cluster, acks: 0, lingerMs: 0 });
    await fireAndForget.send([{ topic: 'modes', partition: 0, value: 'a0' }]);
    await fireAndForget.close();
    const gz = new Producer({ cluster, compression: 'gzip', lingerMs: 0 });
    await gz.send([{ topic: 'modes', partition: 0, value: 'gz'.repeat(100) }]);
    await gz.close();
    const idem = new Producer({ cluster, idempotent: true, lingerMs: 0 });
    const d = await idem.send([1, 2].map((i) => ({ topic: 'modes', partition: 0, value: `i${i}` })));
    // A second batch continues the partition's sequence; the broker checks it and would refuse a gap.
    d.push(...(await idem.send([{ topic: 'modes', partition: 0, value: 'i3' }])));
    await idem.close();
    expect(d.map((x) => (x.status === 'delivered' ? x.offset : -1n))).toEqual([2n, 3n, 4n]);
    expect(d.every((x) => x.status === 'delivered')).toBe(true);
    const read = await readAll('modes');
    expect(read.map((r) => r.value.slice(0, 2))).toEqual(['a0', 'gz', 'i1', 'i2', 'i3']);
  });

  it('says what is wrong when a topic does not exist', async () => {
    const strict = new Cluster({ brokers: [broker.bootstrap], retry: { retries: 1, initialBackoffMs: 10 } });
    const producer = new Producer({ cluster: strict, autoCreateTopics: false });
    await expect(producer.produce({ topic: 'no-such-topic', value: 'x' })).rejects.toThrow(
      /UNKNOWN_TOPIC_OR_PARTITION.*create it, or check the name/,
    );
    await producer.close();
    strict.close();
  });
});
