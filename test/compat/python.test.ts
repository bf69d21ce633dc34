import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codecId, startTestBroker, storedBatches, storedCodecs, type TestBroker } from '../helpers/broker.js';
import { killChildren, run } from '../helpers/run.js';
import { describeWithTools, pythonRuntimes } from '../helpers/tools.js';

const SCRIPT = fileURLToPath(new URL('./python/client.py', import.meta.url));

type Lib = 'kafka-python' | 'confluent';
interface Rec {
  key: string;
  value: string;
  headers: Array<[string, string]>;
  timestamp: number;
}
interface Consumed extends Rec {
  partition: number;
  offset: number;
}

function records(tag: string, n: number, base: number): Rec[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `${tag}-key-${i}`,
    value: `${tag} value ${i} ${'z'.repeat(i * 3)}`,
    headers: [
      ['i', String(i)],
      ['lib', tag],
    ],
    timestamp: base + i * 7,
  }));
}

let b: TestBroker;
beforeAll(async () => {
  b = await startTestBroker({ defaultPartitions: 2 });
});
afterAll(async () => {
  killChildren();
  await b?.stop();
});

const expectSame = (got: Consumed[], sent: Rec[], partition: number, firstOffset = 0) => {
  expect(got).toEqual(sent.map((r, i) => ({ ...r, partition, offset: firstOffset + i })));
};

// Each runtime's two clients (Debian's python3-kafka and python3-confluent-kafka under /usr/bin/python3, and the
// newest kafka-python and confluent-kafka from PyPI in a venv) share one broker, on topics named after the
// runtime. Each direction is proven by two independent clients: one writes, the other reads.
for (const rt of pythonRuntimes()) {
  describeWithTools(
    `Python clients (${rt.label}: kafka-python, confluent-kafka) against the broker`,
    [rt.kafkaPython, rt.confluentKafka],
    () => {
      const py = async (lib: Lib, args: string[], input?: string) => {
        const { stdout } = await run(rt.python, [SCRIPT, lib, ...args], { input, timeoutMs: 60_000 });
        return JSON.parse(stdout.trim().split('\n').pop()!);
      };
      const produce = (lib: Lib, topic: string, partition: number, recs: Rec[], compression = 'none') =>
        py(
          lib,
          ['produce', b.bootstrap, `${rt.label}-${topic}`, String(partition), compression],
          JSON.stringify(recs),
        ) as Promise<number[]>;
      const consume = (lib: Lib, topic: string, partition: number, count: number) =>
        py(lib, [
          'consume',
          b.bootstrap,
          `${rt.label}-${topic}`,
          String(partition),
          String(count),
        ]) as Promise<Consumed[]>;
      const stored = (topic: string, partition: number) =>
        storedCodecs(b.broker, `${rt.label}-${topic}`, partition);

      it('kafka-python produces (gzip, explicit timestamps, headers) and confluent-kafka reads it with assign(), no group', async () => {
        const sent = records('kpy', 15, Date.now() - 3_600_000);
        expect(await produce('kafka-python', 'py-kpy', 1, sent, 'gzip')).toEqual(sent.map((_, i) => i));
        expectSame(await consume('confluent', 'py-kpy', 1, sent.length), sent, 1);
        expect(stored('py-kpy', 1)).toContain(codecId('gzip'));
      });

      it('confluent-kafka produces (gzip, lz4, zstd, snappy) and kafka-python reads what its codecs allow, with assign()/seek, no group', async () => {
        const base = Date.now() - 7_200_000;
        for (const codec of ['gzip', 'lz4', 'zstd', 'snappy']) {
          const topic = `py-ck-${codec}`;
          const sent = records(`ck-${codec}`, 10, base);
          expect(await produce('confluent', topic, 0, sent, codec)).toEqual(sent.map((_, i) => i));
          // librdkafka silently sends uncompressed batches when the version table fails its codec gates (lz4 included).
          expect(stored(topic, 0)).toContain(codecId(codec));
          expectSame(await consume('confluent', topic, 0, sent.length), sent, 0);
          // Debian's kafka-python has no lz4/snappy/zstd module; the PyPI venv installs them.
          if (rt.kafkaPythonCodecs.includes(codec)) {
            expectSame(await consume('kafka-python', topic, 0, sent.length), sent, 0);
          }
        }
      });

      it('kafka-python produces with every codec it has and confluent-kafka reads each back', async () => {
        const base = Date.now() - 600_000;
        for (const codec of rt.kafkaPythonCodecs) {
          const topic = `py-kpy-${codec}`;
          const sent = records(`kpy-${codec}`, 8, base);
          expect(await produce('kafka-python', topic, 0, sent, codec)).toEqual(sent.map((_, i) => i));
          expect(stored(topic, 0)).toContain(codecId(codec));
          expectSame(await consume('confluent', topic, 0, sent.length), sent, 0);
        }
      });

      it('confluent-kafka produces as an idempotent producer, and kafka-python too where it can (3.x by default)', async () => {
        const producerIds = (topic: string) =>
          storedBatches(b.broker, `${rt.label}-${topic}`, 0).map((x) => x.producerId >= 0n);
        await produce('confluent', 'py-idem-ck', 0, records('idem-ck', 5, Date.now()));
        expect(producerIds('py-idem-ck')).toEqual(expect.arrayContaining([true]));
        expect(producerIds('py-idem-ck')).not.toContain(false);
        // kafka-python 2.0 has no idempotent producer: its batches carry producer id -1.
        await produce('kafka-python', 'py-idem-kpy', 0, records('idem-kpy', 5, Date.now()));
        expect(new Set(producerIds('py-idem-kpy'))).toEqual(new Set([rt.kafkaPython3]));
      });

      it('kafka-python and confluent-kafka administer topics: create with a config, create again, add a partition, describe and alter configs, delete', async () => {
        for (const [lib, exists] of [
          ['kafka-python', 'TopicAlreadyExistsError'],
          ['confluent', 'TOPIC_ALREADY_EXISTS'],
        ] as const) {
          const topic = `${rt.label}-${lib}-admin-topic`;
          const r = await py(lib, ['admin-topics', b.bootstrap, topic]);
          expect(r).toEqual({
            again: exists,
            partitions: 3,
            retention: '3600000',
            altered: '7200000',
            listed_after_delete: false,
          });
          expect(b.broker.store.partition(topic, 0)).toBeUndefined();
        }
      });

      it('each client reads its own writes and the other client’s writes appended to one partition', async () => {
        const a = records('mix-a', 5, Date.now() - 1000);
        const c = records('mix-c', 5, Date.now() - 500);
        await produce('kafka-python', 'py-mixed', 0, a);
        expect(await produce('confluent', 'py-mixed', 0, c)).toEqual([5, 6, 7, 8, 9]);
        const both = [...a, ...c];
        expectSame(await consume('kafka-python', 'py-mixed', 0, 10), both, 0);
        expectSame(await consume('confluent', 'py-mixed', 0, 10), both, 0);
      });
    },
  );
}
