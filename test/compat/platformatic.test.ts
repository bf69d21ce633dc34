import { Admin, ConfigResourceTypes, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kcatConsume } from '../helpers/kcat.js';
import { killChildren, run } from '../helpers/run.js';
import { describeWithTools, tools } from '../helpers/tools.js';

// @platformatic/kafka 1.x (the Node 20 line) implements only flexible Metadata (v9+) and Fetch
// (v12+), which is why the broker advertises Metadata 0-9 and Fetch 4-12. Its Consumer.fetch() is a
// raw Fetch without a group, so it reads here without the group coordinator.
describeWithTools('@platformatic/kafka 1.x against the broker', [tools.kcat()], () => {
  let b: TestBroker;
  const clients: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    b = await startTestBroker();
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    killChildren();
    await b?.stop();
  });

  const consumer = () => {
    const c = new Consumer({
      clientId: 'compat-plt-consumer',
      groupId: 'never-joined',
      bootstrapBrokers: [b.bootstrap],
    });
    clients.push(c);
    return c;
  };

  /** Reads a whole partition from offset 0 with raw Fetch (v12) requests. */
  async function fetchAll(c: Consumer, topic: string, partition: number, expected: number) {
    const out: Array<{
      offset: bigint;
      timestamp: bigint;
      key: string;
      value: string;
      headers: Array<[string, string]>;
    }> = [];
    let next = 0n;
    for (let round = 0; round < 20 && out.length < expected; round++) {
      const res = await c.fetch({
        node: 0,
        maxWaitTime: 200,
        topics: [
          {
            topicId: topic,
            partitions: [
              {
                partition,
                fetchOffset: next,
                partitionMaxBytes: 1 << 20,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
              },
            ],
          },
        ],
      });
      const p = res.responses[0].partitions[0];
      expect(p.errorCode).toBe(0);
      for (const batch of p.records ?? []) {
        for (const r of batch.records) {
          const offset = batch.firstOffset + BigInt(r.offsetDelta);
          if (offset < next) continue;
          out.push({
            offset,
            timestamp: batch.firstTimestamp + r.timestampDelta,
            key: r.key?.toString() ?? '',
            value: r.value?.toString() ?? '',
            headers: r.headers.map(
              ([k, v]) => [k?.toString() ?? '', v?.toString() ?? ''] as [string, string],
            ),
          });
          next = offset + 1n;
        }
      }
    }
    return out;
  }

  it('produces with headers and timestamps; platformatic (Fetch v12) and kcat read back every field', async () => {
    const topic = 'plt-roundtrip';
    const producer = new Producer({
      clientId: 'compat-plt',
      bootstrapBrokers: [b.bootstrap],
      serializers: stringSerializers,
      autocreateTopics: true,
    });
    clients.push(producer);
    const base = Date.now() - 60_000;
    const messages = Array.from({ length: 25 }, (_, i) => ({
      topic,
      partition: 0,
      key: `pk-${i}`,
      value: `platformatic value ${i}`,
      headers: { idx: String(i), lib: 'platformatic' },
      timestamp: BigInt(base + i * 10),
    }));
    const first = await producer.send({ messages: messages.slice(0, 12), acks: -1, compression: 'gzip' });
    const second = await producer.send({ messages: messages.slice(12), acks: 1 });
    expect(first.offsets).toEqual([{ topic, partition: 0, offset: 0n }]);
    expect(second.offsets).toEqual([{ topic, partition: 0, offset: 12n }]);

    const got = await fetchAll(consumer(), topic, 0, 25);
    expect(got).toEqual(
      messages.map((m, i) => ({
        offset: BigInt(i),
        timestamp: m.timestamp,
        key: m.key,
        value: m.value,
        headers: [
          ['idx', String(i)],
          ['lib', 'platformatic'],
        ],
      })),
    );

    const viaKcat = await kcatConsume(b.bootstrap, topic, 0);
    expect(viaKcat.map((m) => [m.offset, m.key, m.payload, m.ts])).toEqual(
      messages.map((m, i) => [i, m.key, m.value, Number(m.timestamp)]),
    );
  });

  it('reads what kcat produced, and lists offsets (ListOffsets v5) latest and by time', async () => {
    const topic = 'plt-from-kcat';
    const lines = Array.from({ length: 8 }, (_, i) => `k${i}:from kcat ${i}`);
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
        '-H',
        'src=kcat',
      ],
      { input: `${lines.join('\n')}\n` },
    );
    const c = consumer();
    const got = await fetchAll(c, topic, 0, 8);
    expect(got.map((r) => [r.offset, r.key, r.value, r.headers])).toEqual(
      lines.map((_l, i) => [BigInt(i), `k${i}`, `from kcat ${i}`, [['src', 'kcat']]]),
    );
    const latest = await c.listOffsets({ topics: [topic] });
    expect(latest.get(topic)).toEqual([8n]);
    const future = await c.listOffsets({ topics: [topic], timestamp: BigInt(Date.now() + 3_600_000) });
    expect(future.get(topic)).toEqual([-1n]);
  });

  it('waits on an empty partition (long-poll) and is woken by a produce', async () => {
    const topic = 'plt-longpoll';
    await b.broker.store.createTopic(topic, 1, {});
    const c = consumer();
    const pending = c.fetch({
      node: 0,
      maxWaitTime: 10_000,
      minBytes: 1,
      topics: [
        {
          topicId: topic,
          partitions: [
            {
              partition: 0,
              fetchOffset: 0n,
              partitionMaxBytes: 1 << 20,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            },
          ],
        },
      ],
    });
    await new Promise((r) => setTimeout(r, 200));
    await run('kcat', ['-b', b.bootstrap, '-X', 'broker.address.family=v4', '-P', '-t', topic, '-p', '0'], {
      input: 'wake up\n',
    });
    const res = await pending;
    // Had the wait timed out instead (10 s), the answer would hold no records.
    expect(res.responses[0].partitions[0].records?.[0].records[0].value?.toString()).toBe('wake up');
  });

  it('administers topics: create (v7), list, grow, alter and describe retention, delete (v6)', async () => {
    const admin = new Admin({ clientId: 'compat-plt-admin', bootstrapBrokers: [b.bootstrap] });
    clients.push(admin);
    const created = await admin.createTopics({
      topics: ['plt-admin'],
      partitions: 2,
      replicas: 1,
      configs: [{ name: 'retention.ms', value: '3600000' }],
    });
    expect(created).toMatchObject([{ name: 'plt-admin', partitions: 2, replicas: 1 }]);
    expect(created[0].id).toMatch(/^[0-9a-f-]{36}$/);
    await expect(admin.createTopics({ topics: ['plt-admin'], partitions: 1 })).rejects.toThrow();
    expect(await admin.listTopics()).toContain('plt-admin');
    await admin.createPartitions({ topics: [{ name: 'plt-admin', count: 3, assignments: [] }] });
    expect(b.broker.store.partitionCount('plt-admin')).toBe(3);
    await admin.alterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: 'plt-admin',
          configs: [{ name: 'retention.ms', value: String(48 * 3600_000) }],
        },
      ],
    });
    const described = await admin.describeConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: 'plt-admin',
          configurationKeys: ['retention.ms'],
        },
      ],
    });
    expect(described[0].configs).toMatchObject([{ name: 'retention.ms', value: String(48 * 3600_000) }]);
    await admin.deleteTopics({ topics: ['plt-admin'] });
    expect(b.broker.store.partitionCount('plt-admin')).toBeUndefined();
  });
});
