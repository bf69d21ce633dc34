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

describe('fetches sized by the free credits', () => {
  it('hand back a small fraction of what is consumed, and every partition gets its turn', async () => {
    // The setting, smaller: 4 partitions, a slow sink, maxInFlight 100. Before fetches were sized
    // by batches and rotated, every fetch asked all partitions for whole batches and handed most back:
    // 7x (here) to 13x (the issue) as many records rewound as consumed.
    const brokers = [broker.bootstrap];
    const admin = new Admin({ brokers });
    await admin.createTopics([{ topic: 'sizing', numPartitions: 4 }]);
    await admin.close();
    const producer = new Producer({ brokers });
    const records = 2000;
    for (let i = 0; i < records; i++) {
      await producer.produce({ topic: 'sizing', partition: i % 4, value: Buffer.alloc(100, 'x') });
    }
    await producer.flush();
    await producer.close();
    const perPartition = new Map<number, number>();
    const runtime = createKafkaConsumer({
      brokers,
      groupId: 'sizing',
      topics: ['sizing'],
      autoOffsetReset: 'earliest',
      maxInFlight: 100,
      deadLetter: false,
      sink: {
        name: 'slow',
        async write(record) {
          perPartition.set(record.partition, (perPartition.get(record.partition) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 2));
        },
      },
    });
    await runtime.start();
    // Halfway through, all four partitions have been served.
    const reached = (n: number) => async () => (runtime.stats().consumed >= n ? true : undefined);
    await waitFor('half the records consumed', reached(records / 2), 30_000);
    expect([...perPartition.keys()].sort()).toEqual([0, 1, 2, 3]);
    await waitFor('every record consumed', reached(records), 30_000);
    const { consumed, rewound } = runtime.stats();
    await runtime.stop();
    // Batches of ~135 records against a 100-record window: the rest of a batch is fetched twice, so
    // about a third; anything near or above 1x means fetches ask for more than the credits can take.
    expect(rewound).toBeLessThan(consumed / 2);
  });
});
