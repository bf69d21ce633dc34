import { createRequire } from 'node:module';
import { CompressionTypes, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kcatConsume } from '../helpers/kcat.js';
import { killChildren, run } from '../helpers/run.js';
import { describeWithTools, tools } from '../helpers/tools.js';

// kafkajs 2.2.4 has no group-less consumer (its Consumer always joins a group; that is covered with
// the group coordinator). Here kafkajs produces and administers, kcat reads back what kafkajs wrote,
// and kafkajs reads without a group through its own Cluster/Broker classes: a raw Fetch (v11) decoded
// by kafkajs's record-batch code.
const require = createRequire(import.meta.url);

interface RawMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

/** Reads a partition from offset 0 with kafkajs's internal Broker.fetch (no consumer group). */
async function kafkajsRawRead(
  bootstrap: string,
  topic: string,
  partition: number,
  expected: number,
): Promise<RawMessage[]> {
  const Cluster = require('kafkajs/src/cluster');
  const { createLogger, LEVELS } = require('kafkajs/src/loggers');
  const socketFactory = require('kafkajs/src/network/socketFactory');
  const cluster = new Cluster({
    logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => undefined }),
    socketFactory: socketFactory(),
    brokers: [bootstrap],
    clientId: 'compat-kafkajs-raw',
    connectionTimeout: 3000,
    retry: { retries: 1 },
  });
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    const broker = await cluster.findBroker({ nodeId: '0' });
    const out: RawMessage[] = [];
    let next = 0n;
    for (let round = 0; round < 20 && out.length < expected; round++) {
      const res = await broker.fetch({
        isolationLevel: 1,
        maxWaitTime: 200,
        topics: [{ topic, partitions: [{ partition, fetchOffset: String(next), maxBytes: 1 << 20 }] }],
      });
      const p = res.responses[0].partitions[0];
      expect(p.errorCode).toBe(0);
      for (const m of p.messages as RawMessage[]) {
        if (BigInt(m.offset) < next) continue;
        out.push(m);
        next = BigInt(m.offset) + 1n;
      }
    }
    return out;
  } finally {
    await cluster.disconnect();
  }
}
describeWithTools('kafkajs 2.2.4 against the broker', [tools.kcat()], () => {
  let b: TestBroker;
  let kafka: Kafka;
  const admin = () => kafka.admin();

  beforeAll(async () => {
    b = await startTestBroker();
    kafka = new Kafka({
      clientId: 'compat-kafkajs',
      brokers: [b.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
    });
  });
  afterAll(async () => {
    killChildren();
    await b?.stop();
  });

  it('creates, lists, grows and deletes topics with the admin client', async () => {
    const a = admin();
    await a.connect();
    try {
      expect(await a.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 2 }] })).toBe(true);
      expect(await a.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 2 }] })).toBe(false);
      expect(await a.listTopics()).toContain('kjs-admin');
      await a.createPartitions({ topicPartitions: [{ topic: 'kjs-admin', count: 4 }] });
      const meta = await a.fetchTopicMetadata({ topics: ['kjs-admin'] });
      expect(meta.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3]);
      expect(meta.topics[0].partitions.every((p) => p.leader === 0)).toBe(true);
      await a.deleteTopics({ topics: ['kjs-admin'] });
      expect(await a.listTopics()).not.toContain('kjs-admin');
      expect(b.broker.store.partitionCount('kjs-admin')).toBeUndefined();
    } finally {
      await a.disconnect();
    }
  });

  it('raises retention at run time (AlterConfigs) and reads it back (DescribeConfigs)', async () => {
    const a = admin();
    await a.connect();
    try {
      await a.createTopics({ topics: [{ topic: 'kjs-retention', numPartitions: 1 }] });
      const twoDays = String(48 * 3600_000);
      await a.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: 'kjs-retention',
            configEntries: [{ name: 'retention.ms', value: twoDays }],
          },
        ],
      });
      const described = await a.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: 'kjs-retention', configNames: ['retention.ms'] },
        ],
      });
      expect(described.resources[0].configEntries).toMatchObject([
        { configName: 'retention.ms', configValue: twoDays, isDefault: false },
      ]);
      await expect(
        a.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: 'kjs-retention',
              configEntries: [{ name: 'retention.ms', value: 'soon' }],
            },
          ],
        }),
      ).rejects.toThrow();
    } finally {
      await a.disconnect();
    }
  });

  it('produces (gzip, headers, timestamps, keys) and kcat reads back every field at the offsets kafkajs was told', async () => {
    const topic = 'kjs-produce';
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const base = Date.now() - 10_000;
    const messages = Array.from({ length: 30 }, (_, i) => ({
      key: `key-${i}`,
      value: `value-${i}-${'y'.repeat(i)}`,
      headers: { n: String(i), origin: 'kafkajs' },
      timestamp: String(base + i * 100),
    }));
    const first = await producer.send({
      topic,
      compression: CompressionTypes.GZIP,
      acks: -1,
      messages: messages.slice(0, 10),
    });
    const second = await producer.send({ topic, acks: 1, messages: messages.slice(10) });
    await producer.disconnect();
    expect(first).toMatchObject([{ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' }]);
    expect(second).toMatchObject([{ topicName: topic, partition: 0, errorCode: 0, baseOffset: '10' }]);

    const got = await kcatConsume(b.bootstrap, topic, 0);
    expect(got).toHaveLength(30);
    got.forEach((m, i) => {
      expect(m.offset).toBe(i);
      expect(m.key).toBe(messages[i].key);
      expect(m.payload).toBe(messages[i].value);
      expect(m.ts).toBe(Number(messages[i].timestamp));
      expect(m.headers).toEqual(['n', String(i), 'origin', 'kafkajs']);
    });

    const a = admin();
    await a.connect();
    try {
      expect(await a.fetchTopicOffsets(topic)).toEqual([
        { partition: 0, offset: '30', high: '30', low: '0' },
      ]);
      // By time: the first record at or after message 17's timestamp is message 17.
      expect(await a.fetchTopicOffsetsByTimestamp(topic, base + 1700)).toEqual([
        { partition: 0, offset: '17' },
      ]);
    } finally {
      await a.disconnect();
    }
  });

  it('gets UNKNOWN_TOPIC_OR_PARTITION for an unknown topic when auto-creation is off', async () => {
    const strict = await startTestBroker({ autoCreateTopics: false });
    const k = new Kafka({
      clientId: 'strict',
      brokers: [strict.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const producer = k.producer({ allowAutoTopicCreation: false });
    try {
      await producer.connect();
      await expect(producer.send({ topic: 'nope', messages: [{ value: 'x' }] })).rejects.toThrow(
        /does not host this topic-partition|UNKNOWN_TOPIC/i,
      );
      expect(strict.broker.store.partitionCount('nope')).toBeUndefined();
    } finally {
      await producer.disconnect();
      await strict.stop();
    }
  });

  it('reads what kcat produced (gzip, headers) with a raw Fetch, no group', async () => {
    const topic = 'kjs-from-kcat';
    const lines = Array.from(
      { length: 12 },
      (_, i) => `kk${i}:from kcat to kafkajs ${i} ${'q'.repeat(i * 5)}`,
    );
    const before = Date.now();
    await run(
      'kcat',
      [
        '-b',
        b.bootstrap,
        '-X',
        'broker.address.family=v4',
        '-P',
        '-t',
        topic,
        '-p',
        '0',
        '-K:',
        '-z',
        'gzip',
        '-H',
        'via=kcat',
      ],
      {
        input: `${lines.join('\n')}\n`,
      },
    );
    const after = Date.now();
    const got = await kafkajsRawRead(b.bootstrap, topic, 0, 12);
    expect(
      got.map((m) => [m.offset, m.key?.toString(), m.value?.toString(), m.headers.via?.toString()]),
    ).toEqual(lines.map((l, i) => [String(i), `kk${i}`, l.slice(l.indexOf(':') + 1), 'kcat']));
    for (const m of got) {
      expect(Number(m.timestamp)).toBeGreaterThanOrEqual(before - 5);
      expect(Number(m.timestamp)).toBeLessThanOrEqual(after + 5);
    }
  });

  it('produces with an idempotent producer (InitProducerId, sequence numbers)', async () => {
    const topic = 'kjs-idempotent';
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < 5; i++) {
        const res = await producer.send({
          topic,
          acks: -1,
          messages: [{ key: `i${i}`, value: `idempotent ${i}` }, { value: `second ${i}` }],
        });
        expect(res).toMatchObject([{ errorCode: 0, baseOffset: String(i * 2) }]);
      }
    } finally {
      await producer.disconnect();
    }
    const got = await kafkajsRawRead(b.bootstrap, topic, 0, 10);
    expect(got.map((m) => m.value?.toString())).toEqual(
      Array.from({ length: 5 }, (_, i) => [`idempotent ${i}`, `second ${i}`]).flat(),
    );
    expect(
      got.every(
        (m) => (m as unknown as { batchContext: { producerId: string } }).batchContext.producerId !== '-1',
      ),
    ).toBe(true);
  });
});
