import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  codecId,
  librdkafkaCanLz4,
  startTestBroker,
  storedCodecs,
  type TestBroker,
} from '../helpers/broker.js';
import { killChildren, run } from '../helpers/run.js';
import { describeWithTools, PYTHON, tools } from '../helpers/tools.js';

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

// Both Python clients run on Debian's /usr/bin/python3 (the pyenv python3 on PATH cannot import them).
// Each direction is proven by two independent clients: one writes, the other reads.
describeWithTools(
  'Python clients (python3-kafka, python3-confluent-kafka) against the broker',
  [tools.pythonKafka(), tools.confluentKafka()],
  () => {
    let b: TestBroker;
    const py = async (lib: Lib, args: string[], input?: string) => {
      const { stdout } = await run(PYTHON, [SCRIPT, lib, ...args], { input, timeoutMs: 60_000 });
      return JSON.parse(stdout.trim().split('\n').pop()!);
    };
    const produce = (lib: Lib, topic: string, partition: number, recs: Rec[], compression = 'none') =>
      py(
        lib,
        ['produce', b.bootstrap, topic, String(partition), compression],
        JSON.stringify(recs),
      ) as Promise<number[]>;
    const consume = (lib: Lib, topic: string, partition: number, count: number) =>
      py(lib, ['consume', b.bootstrap, topic, String(partition), String(count)]) as Promise<Consumed[]>;

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

    it('kafka-python produces (gzip, explicit timestamps, headers) and confluent-kafka reads it with assign(), no group', async () => {
      const sent = records('kpy', 15, Date.now() - 3_600_000);
      expect(await produce('kafka-python', 'py-kpy', 1, sent, 'gzip')).toEqual(sent.map((_, i) => i));
      expectSame(await consume('confluent', 'py-kpy', 1, sent.length), sent, 1);
      expect(storedCodecs(b.broker, 'py-kpy', 1)).toContain(codecId('gzip'));
    });

    it('confluent-kafka produces (gzip, lz4, zstd, snappy) and kafka-python reads it with assign()/seek, no group', async () => {
      const base = Date.now() - 7_200_000;
      // kafka-python can only decompress gzip here (no python3-lz4/zstandard), so the codecs it reads are
      // limited; confluent-kafka reads its own lz4/zstd batches back below.
      const plain = records('ck', 10, base);
      expect(await produce('confluent', 'py-ck', 0, plain, 'gzip')).toEqual(plain.map((_, i) => i));
      expectSame(await consume('kafka-python', 'py-ck', 0, plain.length), plain, 0);
      expect(storedCodecs(b.broker, 'py-ck', 0)).toContain(codecId('gzip'));
      for (const codec of ['lz4', 'zstd', 'snappy']) {
        const topic = `py-ck-${codec}`;
        const sent = records(`ck-${codec}`, 10, base);
        expect(await produce('confluent', topic, 0, sent, codec)).toEqual(sent.map((_, i) => i));
        expectSame(await consume('confluent', topic, 0, sent.length), sent, 0);
        const stored = storedCodecs(b.broker, topic, 0);
        if (codec === 'lz4' && !librdkafkaCanLz4(b.broker)) expect(stored.every((c) => c === 0)).toBe(true);
        else expect(stored).toContain(codecId(codec));
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
