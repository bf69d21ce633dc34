import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { Producer } from '../../src/client/producer.js';
import { Credits } from '../../src/flow/credits.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
let cluster: Cluster;

beforeAll(async () => {
  broker = await startTestBroker();
  cluster = new Cluster({ brokers: [broker.bootstrap] });
  await new Admin({ cluster }).createTopics([{ topic: 'credit-driven', numPartitions: 2 }]);
  const producer = new Producer({ cluster, lingerMs: 0, batchBytes: 8 * 1024 });
  for (let i = 0; i < 10; i++) {
    await producer.send(
      Array.from({ length: 20 }, (_, j) => ({
        topic: 'credit-driven',
        partition: (i + j) % 2,
        value: Buffer.alloc(500, i),
      })),
    );
  }
  await producer.close();
});

afterAll(async () => {
  cluster?.close();
  await broker?.stop();
});

describe('a fetch loop driven by credits', () => {
  it('never holds more than the granted window (plus the one batch Kafka always returns)', async () => {
    const window = 16 * 1024;
    const credits = new Credits({ initial: window, max: window });
    const consumer = new ConsumerClient({ cluster, autoOffsetReset: 'earliest' });
    consumer.assign([
      { topic: 'credit-driven', partition: 0 },
      { topic: 'credit-driven', partition: 1 },
    ]);
    const queue: { bytes: number; records: number }[] = [];
    let held = 0;
    let maxHeld = 0;
    let fetched = 0;
    let processed = 0;
    let largestBatch = 0;
    const sink = (async () => {
      // A slow sink: one chunk every 5 ms, giving its bytes back as credits when done.
      while (processed < 200) {
        const chunk = queue.shift();
        if (!chunk) {
          await new Promise((r) => setTimeout(r, 1));
          continue;
        }
        await new Promise((r) => setTimeout(r, 5));
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
      for (const p of got) largestBatch = Math.max(largestBatch, p.bytes);
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
    expect(largestBatch).toBeGreaterThan(0);
    expect(credits.stats.granted).toBeGreaterThan(0);
  });
});
