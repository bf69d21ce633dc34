import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kafkaCli, kafkaTool } from '../helpers/kafka.js';
import { killChildren, run } from '../helpers/run.js';
import { describeWithTools, pythonRuntimes } from '../helpers/tools.js';

/**
 * A reject-mode produce quota (Kinesis' way) as real clients see it: a batch the partition's bucket
 * cannot cover now is refused with REQUEST_TIMED_OUT, which every client retries; a batch over the
 * bucket's burst (one second of allowance) is refused with RECORD_LIST_TOO_LARGE. docs/compatibility.md
 * lists what each client shows.
 */
const SCRIPT = fileURLToPath(new URL('./python/quota.py', import.meta.url));
const RATE = 100;
const RECORDS = 200;

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});
afterAll(killChildren);

async function limitedBroker(): Promise<TestBroker> {
  broker = await startTestBroker({
    durability: 'memory',
    quotas: { mode: 'reject', recordsPerSecond: RATE },
  });
  return broker;
}

const stored = (b: TestBroker, topic: string) =>
  Number(b.broker.store.partition(topic, 0)?.highWatermark ?? 0n);

describeWithTools('kafkajs 2.2.4 against a reject-mode quota', [], () => {
  it('retries refused batches ("The request timed out") until all are stored; a batch over the burst fails', async () => {
    const b = await limitedBroker();
    const logs: string[] = [];
    const kafka = new Kafka({
      clientId: 'quota-kafkajs',
      brokers: [b.bootstrap],
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry) => logs.push(`${entry.log.message} ${entry.log.error ?? ''}`),
    });
    const producer = kafka.producer({ retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
    await producer.connect();
    try {
      // Twenty sends of ten records at once: more than the bucket holds, so some are refused and retried.
      await Promise.all(
        Array.from({ length: RECORDS / 10 }, (_, i) =>
          producer.send({
            topic: 'shard',
            messages: Array.from({ length: 10 }, (_, j) => ({ partition: 0, value: `${i}-${j}` })),
          }),
        ),
      );
      expect(stored(b, 'shard')).toBe(RECORDS);
      expect((await b.broker.metrics.produceRejected.get()).values[0].value).toBeGreaterThan(0);
      expect(logs.some((l) => /The request timed out/.test(l))).toBe(true);
      // 500 records in one send: over one second of allowance, refused for good, nothing stored.
      await expect(
        producer.send({
          topic: 'burst',
          messages: Array.from({ length: 500 }, (_, j) => ({ partition: 0, value: `${j}` })),
        }),
      ).rejects.toThrow(/message batch larger than the configured segment size/);
      expect(stored(b, 'burst')).toBe(0);
    } finally {
      await producer.disconnect();
    }
  });
});

interface QuotaRun {
  flush_error: string | null;
  delivered: number;
  errors: string[];
  failed: number;
  retries: number;
  retry_sample: string[];
}

for (const rt of pythonRuntimes()) {
  describeWithTools(`kafka-python (${rt.label}) against a reject-mode quota`, [rt.kafkaPython], () => {
    const produce = async (b: TestBroker, topic: string, count: number, perBatch: number) => {
      const { stdout } = await run(rt.python, [SCRIPT, b.bootstrap, topic, String(count), String(perBatch)], {
        timeoutMs: 90_000,
      });
      return JSON.parse(stdout.trim().split('\n').pop()!) as QuotaRun;
    };

    it('retries refused batches (RequestTimedOutError) until all are stored; a batch over the burst is refused', async () => {
      const b = await limitedBroker();
      const r = await produce(b, 'shard', RECORDS, 10);
      expect(r).toMatchObject({ delivered: RECORDS, failed: 0 });
      expect(r.retries).toBeGreaterThan(0);
      expect(r.retry_sample[0]).toMatch(/retrying \(\d+ attempts left\).*RequestTimedOutError/);
      expect(stored(b, 'shard')).toBe(RECORDS);
      const burst = await produce(b, 'burst', 500, 1000);
      if (rt.kafkaPython3) {
        // kafka-python 3 speaks Produce v8+ and logs the broker's message with the retry; a batch refused
        // as too large it splits in halves and sends again, which the quota then paces.
        expect(r.retry_sample[0]).toMatch(/partition write quota exceeded \(reject mode\)/);
        expect(burst.retry_sample[0]).toMatch(/RecordListTooLargeError .* with 500 records, splitting batch/);
        expect(burst.delivered).toBe(500);
        expect(stored(b, 'burst')).toBe(500);
      } else {
        // kafka-python 2.0.2 (Produce v7, no message): a permanent RecordListTooLargeError per record.
        expect(burst).toMatchObject({ delivered: 0, failed: 500, errors: ['RecordListTooLargeError'] });
        expect(stored(b, 'burst')).toBe(0);
      }
    });
  });
}

describeWithTools(
  "Kafka's Java producer (kafka-console-producer 4.1) against a reject-mode quota",
  [kafkaTool()],
  () => {
    const consoleProducer = (b: TestBroker, topic: string, count: number, batchBytes: number) =>
      kafkaCli(
        'kafka-console-producer',
        [
          '--bootstrap-server',
          b.bootstrap,
          '--topic',
          topic,
          '--producer-property',
          `batch.size=${batchBytes}`,
          '--producer-property',
          'linger.ms=20',
        ],
        { input: `${Array.from({ length: count }, (_, i) => `e${i}`).join('\n')}\n`, timeoutMs: 60_000 },
      );

    it('retries refused batches (REQUEST_TIMED_OUT with the reason) until all are stored; a batch over the burst fails', async () => {
      const b = await limitedBroker();
      const small = await consoleProducer(b, 'shard', RECORDS, 300);
      expect(small.stderr).toMatch(
        /retrying \(\d+ attempts left\)\. Error: REQUEST_TIMED_OUT\. Error Message: partition write quota exceeded \(reject mode\)/,
      );
      expect(stored(b, 'shard')).toBe(RECORDS);
      const burst = await consoleProducer(b, 'burst', 300, 1_000_000);
      expect(burst.stderr).toMatch(
        /RecordBatchTooLargeException: partition write quota: a batch of 300 records is over the 100 records\/s/,
      );
      expect(burst.stderr).not.toMatch(/splitting and retrying/);
      expect(stored(b, 'burst')).toBe(0);
    });
  },
);
