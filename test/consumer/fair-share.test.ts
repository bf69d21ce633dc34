import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Producer } from '../../src/client/producer.js';
import { createKafkaConsumer } from '../../src/consumer/create.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/burrow.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ durability: 'memory' });
});
afterAll(async () => {
  await broker.stop();
});

const PARTITIONS = 6;
const WINDOW = 10;

async function produce(brokers: string[], topic: string, partitions: number[], perPartition: number) {
  const producer = new Producer({ brokers });
  for (let i = 0; i < perPartition; i++) {
    for (const partition of partitions)
      await producer.produce({ topic, partition, value: Buffer.from(`${i}`) });
  }
  await producer.flush();
  await producer.close();
}

describe("a slow sink's window shared by the partitions", () => {
  it('a partition whose records came first does not take the whole window from those that came later', async () => {
    // The lab's shape: six partitions, a window of 10, one record at a time to a slow sink. Records reach
    // p0 first and the others a moment later (a producer sends its partitions' batches one after
    // another): the runtime knew the others only as empty, gave p0 the whole window, then split it
    // between the next two it fetched, and the last partitions waited about 20 records for a turn.
    const brokers = [broker.bootstrap];
    const topic = 'fair-share';
    const admin = new Admin({ brokers });
    await admin.createTopics([{ topic, numPartitions: PARTITIONS }]);
    await admin.close();
    const written: number[] = [];
    const runtime = createKafkaConsumer({
      brokers,
      groupId: 'fair-share',
      topics: [topic],
      autoOffsetReset: 'earliest',
      maxInFlight: WINDOW,
      concurrency: 1,
      deadLetter: false,
      sink: {
        name: 'slow',
        async write(record) {
          written.push(record.partition);
          await new Promise((r) => setTimeout(r, 100));
        },
      },
    });
    await runtime.start();
    try {
      await produce(brokers, topic, [0], 20);
      await waitFor(
        'p0 to be taken in',
        async () => (runtime.stats().inFlightRecords > 0 ? true : undefined),
        10_000,
      );
      await produce(brokers, topic, [1, 2, 3, 4, 5], 20);
      await waitFor(
        'every partition to reach the sink',
        async () => (new Set(written).size === PARTITIONS ? true : undefined),
        30_000,
        () => JSON.stringify(written),
      );
      // Split evenly, p0 holds 2 of the 10 credits when the others arrive: every partition's first record
      // reaches the sink within the first two windows' worth of writes.
      const firstWrite = Array.from({ length: PARTITIONS }, (_, p) => written.indexOf(p));
      expect(Math.max(...firstWrite), JSON.stringify(written)).toBeLessThan(WINDOW + PARTITIONS);
      // p0 never held more than its share while the others had records waiting.
      expect(written.slice(0, firstWrite[5]).filter((p) => p === 0).length).toBeLessThanOrEqual(4);
    } finally {
      await runtime.stop();
    }
  }, 60_000);
});
