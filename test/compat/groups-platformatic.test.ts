import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const TOPIC = 'plt-topic';
const GROUP = 'plt-group';
const PARTITIONS = 3;

interface Read {
  partition: number;
  offset: number;
  value: string;
}

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker({ groups: { minSessionTimeoutMs: 1000 } });
});

afterAll(async () => {
  await broker?.stop();
});

/** One member of the group reads up to `count` records, committing each before the next, then leaves. */
async function consume(clientId: string, count: number, idleMs = 15_000): Promise<Read[]> {
  const consumer = new Consumer({
    groupId: GROUP,
    clientId,
    bootstrapBrokers: [broker.bootstrap],
    deserializers: stringDeserializers,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    maxWaitTime: 200,
  });
  const out: Read[] = [];
  try {
    const stream = await consumer.consume({
      topics: [TOPIC],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
    });
    await new Promise<void>((resolve, reject) => {
      let idle = setTimeout(resolve, idleMs);
      stream.on('error', reject);
      stream.on('data', (message) => {
        if (out.length >= count) return;
        clearTimeout(idle);
        out.push({
          partition: message.partition,
          offset: Number(message.offset),
          value: message.value as string,
        });
        Promise.resolve(message.commit()).then(() => {
          if (out.length >= count) resolve();
          else idle = setTimeout(resolve, idleMs);
        }, reject);
      });
    });
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return out;
}

describe('@platformatic/kafka 1.x consumer group against the Sluice broker', () => {
  it('commits through the group coordinator and a later member resumes from the commits', async () => {
    // platformatic 1.x speaks only flexible CreateTopics versions, which the broker does not serve yet.
    await broker.broker.store.createTopic(TOPIC, PARTITIONS, {});
    const producer = new Producer({
      clientId: 'plt-producer',
      bootstrapBrokers: [broker.bootstrap],
      serializers: stringSerializers,
    });
    const values = Array.from({ length: 30 }, (_, i) => `v${i}`);
    await producer.send({
      messages: values.map((value, i) => ({ topic: TOPIC, partition: i % PARTITIONS, value })),
    });
    await producer.close();

    const first = await consume('plt-a', 10);
    expect(first).toHaveLength(10);
    const second = await consume('plt-b', 20);
    expect([...first, ...second].map((r) => r.value).sort()).toEqual([...values].sort());
    expect(second.filter((r) => first.some((f) => f.value === r.value))).toEqual([]);

    const committed = broker.broker.groups.fetchOffsets({
      groupId: GROUP,
      topics: [{ name: TOPIC, partitionIndexes: [0, 1, 2] }],
    });
    expect(committed.topics[0].partitions.map((p) => p.committedOffset)).toEqual([10, 10, 10]);
    const admin = new Admin({ clientId: 'plt-admin', bootstrapBrokers: [broker.bootstrap] });
    try {
      const groups = await admin.listGroups();
      expect(groups.get(GROUP)).toMatchObject({ id: GROUP, protocolType: 'consumer' });
    } finally {
      await admin.close();
    }
  }, 60_000);
});
