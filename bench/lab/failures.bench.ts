/**
 * The module's question 3 measured: the lab consumer (one order at a time, `processing_time_ms` per
 * attempt, the lab's retry budget: 5 attempts, backoff 100 ms doubling to 2 s, half random) draining a
 * backlog with 0%, 25% and 50% transient failures, against the arithmetic: an order takes
 * (1 - p^N) / (1 - p) attempts, so orders/s = capacity / that. Each run uses a topic of its own on an
 * embedded broker in this process; the rate is counted over a window after a warm-up.
 *
 *   npm run bench:lab                                   # 100 ms per order, 30 s windows
 *   npm run bench:lab -- --processing-ms 20 --seconds 20
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Broker } from '../../src/broker/broker.js';
import { realClock } from '../../src/flow/clock.js';
import { OrderConsumer } from '../../src/lab/consumer.js';
import { OrderProducer } from '../../src/lab/producer.js';
import { ensureTopic } from '../../src/lab/setup.js';

const { values: args } = parseArgs({
  options: {
    'processing-ms': { type: 'string', default: '100' },
    seconds: { type: 'string', default: '30' },
    rates: { type: 'string', default: '0,0.25,0.5' },
  },
});
const T = Number(args['processing-ms']);
const SECONDS = Number(args.seconds);
const RATES = args.rates.split(',').map(Number);
const WARMUP_MS = 3000;

const broker = new Broker(
  { host: '127.0.0.1', port: 0, durability: 'memory', groups: { initialRebalanceDelayMs: 0 } },
  { logger: pino({ level: 'silent' }) },
);
const { port } = await broker.start();
const brokers = [`127.0.0.1:${port}`];
const rows: string[][] = [
  ['failure', 'attempts/s', 'orders/s', 'predicted/s', 'measured / predicted', 'vs no failures'],
];
let baseline: number | null = null;
try {
  for (const rate of RATES) {
    const topic = `bench-failures-${Math.round(rate * 100)}`;
    await ensureTopic(brokers, topic, 6);
    const producer = new OrderProducer({ brokers, topic });
    await producer.connect();
    // Enough backlog that the consumer never runs dry: twice the window at full capacity.
    await producer.produce(Math.ceil(((2 * SECONDS * 1000) / Math.max(1, T)) * 1.2));
    await producer.close();
    const consumer = new OrderConsumer({
      brokers,
      topic,
      groupId: `${topic}-group`,
      processingTimeMs: T,
      failureRate: rate,
      failure: 'transient',
      deadLetter: false,
    });
    await consumer.start();
    await realClock.sleep(WARMUP_MS);
    const before = consumer.stats();
    await realClock.sleep(SECONDS * 1000);
    const after = consumer.stats();
    await consumer.stop();
    const orders = (after.succeeded - before.succeeded) / SECONDS;
    const attempts = (after.attempts - before.attempts) / SECONDS;
    // The count check before the rate: every success is one order, never more than the attempts.
    if (after.succeeded > after.attempts || orders <= 0)
      throw new Error(`implausible counts: ${JSON.stringify(after)}`);
    const predicted = consumer.expectedPerSecond ?? Number.NaN;
    baseline ??= orders;
    rows.push([
      `${rate * 100}% transient`,
      attempts.toFixed(1),
      orders.toFixed(2),
      predicted.toFixed(2),
      (orders / predicted).toFixed(2),
      (orders / baseline).toFixed(2),
    ]);
  }
} finally {
  await broker.stop(2000);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log(`lab consumer, ${T} ms per attempt (capacity ${1000 / T}/s), ${SECONDS} s windows\n`);
for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c])).join('  '));
