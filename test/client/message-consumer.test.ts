import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { MessageConsumer } from '../../src/client/message-consumer.js';
import { Producer } from '../../src/client/producer.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/burrow.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ durability: 'memory', groups: { initialRebalanceDelayMs: 0 } });
});
afterAll(async () => {
  await broker.stop();
});

async function produce(topic: string, from: number, count: number): Promise<void> {
  const producer = new Producer({ brokers: [broker.bootstrap] });
  for (let i = from; i < from + count; i++) {
    await producer.produce({ topic, partition: i % 2, key: `k${i}`, value: String(i) });
  }
  await producer.flush();
  await producer.close();
}

const until = (what: string, done: () => boolean) =>
  waitFor(what, async () => (done() ? true : undefined), 20_000);

describe('MessageConsumer: run({ eachMessage | eachBatch })', () => {
  it('hands every record to eachMessage in partition order, redelivers one whose handler threw, and commits what was handled', async () => {
    const admin = new Admin({ brokers: [broker.bootstrap] });
    await admin.createTopics([{ topic: 'each', numPartitions: 2 }]);
    await admin.close();
    await produce('each', 0, 20);
    const seen: string[] = [];
    let failedOnce = false;
    const consumer = new MessageConsumer({
      brokers: [broker.bootstrap],
      groupId: 'each',
      topics: ['each'],
      autoOffsetReset: 'earliest',
      retryBackoffMs: 10,
    });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (message.value!.toString() === '7' && !failedOnce) {
          failedOnce = true;
          throw new Error('sink down once');
        }
        seen.push(`${partition}:${message.value!.toString()}`);
      },
    });
    await until('20 records handled', () => seen.length === 20);
    await consumer.stop();
    expect(consumer.stats()).toMatchObject({ handled: 20, handlerErrors: 1 });
    for (const p of [0, 1]) {
      const values = seen.filter((s) => s.startsWith(`${p}:`)).map((s) => Number(s.slice(2)));
      expect(values).toEqual([...values].sort((a, b) => a - b)); // in order, 7 redelivered in its place
      expect(values).toHaveLength(10);
    }
    // The group resumes after what was handled: a new member sees only new records.
    await produce('each', 20, 4);
    const later: string[] = [];
    const next = new MessageConsumer({ brokers: [broker.bootstrap], groupId: 'each', topics: ['each'] });
    await next.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) later.push(m.value!.toString());
      },
    });
    await until('the 4 new records', () => later.length >= 4);
    await next.stop();
    expect(later.sort()).toEqual(['20', '21', '22', '23']);
  });

  it('refuses a run without exactly one handler', async () => {
    const consumer = new MessageConsumer({ brokers: [broker.bootstrap], groupId: 'bad', topics: ['each'] });
    await expect(consumer.run({} as never)).rejects.toThrow(/exactly one of eachMessage or eachBatch/);
    await consumer.stop();
  });
});
