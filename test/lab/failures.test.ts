import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetters, REPLAY_HEADER } from '../../src/consumer/dead-letters.js';
import type { ConsumerRecord, Sink } from '../../src/consumer/types.js';
import { realClock } from '../../src/flow/clock.js';
import { seededRandom } from '../../src/flow/random.js';
import { OrderConsumer } from '../../src/lab/consumer.js';
import { POISON_HEADER } from '../../src/lab/failures.js';
import { OrderProducer } from '../../src/lab/producer.js';
import { ensureTopic } from '../../src/lab/setup.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { until } from './helpers.js';

/**
 * The lab's failures against the embedded broker, counted rather than timed: with half the attempts
 * failing transiently the consumer needs (1 - p^N) / (1 - p) attempts per order, so its throughput
 * falls to capacity / that (the module's "100 → 50 events/s"); poison orders are dead-lettered once
 * each after the retry budget while the rest flows; after the fix, replay brings them back once.
 */

let broker: TestBroker;
let brokers: string[];
const consumers: OrderConsumer[] = [];
const producers: OrderProducer[] = [];

/** A sink that takes `ms` per order (as the simulated one) and counts how often each order succeeded. */
function recordingSink(ms: number) {
  const seen = new Map<string, number>();
  const log: { id: string; partition: number; replayed: boolean; seq: number }[] = [];
  let seq = 0;
  const sink: Sink = {
    name: 'recording',
    async write(record: ConsumerRecord, ctx) {
      await realClock.sleep(ms, ctx.signal);
      const id = (JSON.parse(record.value!.toString()) as { id: string }).id;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      const replayed = record.headers.some((h) => h.key === REPLAY_HEADER);
      log.push({ id, partition: record.partition, replayed, seq: seq++ });
    },
  };
  return { sink, seen, log, next: () => seq++ };
}

async function produce(
  topic: string,
  count: number,
  poison = false,
  set?: { customer: string },
): Promise<string[]> {
  const producer = new OrderProducer({ brokers, topic, seed: Math.floor(Math.random() * 2 ** 31) });
  producers.push(producer);
  await producer.connect();
  const r = await producer.produce(count, { returnOrders: true, poison, set });
  expect(r.produced).toBe(count);
  return r.orders!.map((o) => o.id);
}

beforeAll(async () => {
  broker = await startTestBroker({ durability: 'memory', groups: { initialRebalanceDelayMs: 0 } });
  brokers = [broker.bootstrap];
});

afterAll(async () => {
  for (const c of consumers) await c.stop();
  for (const p of producers) await p.close(1000);
  await broker?.stop();
});

describe('lab consumer with failures', () => {
  it('50% transient failures: every order processed once, at the throughput the arithmetic predicts', async () => {
    const topic = 'orders-transient';
    await ensureTopic(brokers, topic, 6);
    const ids = await produce(topic, 300);
    const T = 10;
    const { sink, seen, log } = recordingSink(T);
    const consumer = new OrderConsumer({
      brokers,
      topic,
      groupId: 'transient-group',
      processingTimeMs: T,
      sink,
      failureRate: 0.5,
      failure: 'transient',
      random: seededRandom(2718),
      // Short backoffs so the sink, not the waiting, is the bottleneck; the budget stays 5 attempts.
      retry: { initialBackoffMs: 5, maxBackoffMs: 40 },
    });
    consumers.push(consumer);
    const started = Date.now();
    await consumer.start();
    await until(
      'all 300 orders processed',
      async () => (seen.size === ids.length ? true : undefined),
      60_000,
    );
    const elapsedS = (Date.now() - started) / 1000;
    const s = consumer.stats();

    // At least once, and (one member, no rebalance, no crash) exactly once; none dead-lettered.
    for (const id of ids) expect(seen.get(id), id).toBe(1);
    expect(log).toHaveLength(ids.length);
    expect(s.dead_lettered).toBe(0);
    expect(s.succeeded).toBe(300);
    expect(s.attempts).toBe(300 + s.retries);
    expect(s.failed_attempts.transient).toBe(s.retries);
    expect(s.succeeded_after_retry).toBeGreaterThan(0);
    expect(s.succeeded_after_retry).toBeLessThanOrEqual(s.retries);

    // The arithmetic: N = 5, p = 0.5 -> 1.9375 attempts per order, so 1/1.9375 = 0.516 of capacity.
    const predicted = consumer.expectedPerSecond! / consumer.maxPerSecond!;
    expect(predicted).toBeCloseTo(0.516, 3);
    // Counted: successes per attempt is throughput as a share of capacity (each attempt costs T).
    // Tolerance ±0.06: about 3 standard deviations of the ratio over 300 orders.
    const counted = s.succeeded / s.attempts;
    expect(Math.abs(counted - predicted)).toBeLessThanOrEqual(0.06);
    // Wall clock, only as a bound physics guarantees: attempts run one at a time and each takes >= T.
    const measured = s.succeeded / elapsedS;
    expect(measured).toBeLessThanOrEqual((1000 / T) * counted * 1.02);
    console.log(
      `[failures] 50% transient: ${s.succeeded} orders in ${s.attempts} attempts (${counted.toFixed(3)} per attempt, predicted ${predicted.toFixed(3)}); ${measured.toFixed(1)} orders/s measured, capacity ${1000 / T}/s`,
    );
  }, 90_000);

  it('poison orders land in the DLQ once each with their reason; the rest flows; after the fix, replay processes them once', async () => {
    const topic = 'orders-poison';
    const dlq = `${topic}.dlq`;
    await ensureTopic(brokers, topic, 3);
    await ensureTopic(brokers, dlq, 1);
    const first = await produce(topic, 20);
    // One customer, so one partition: the other two always have orders to serve while these are retried
    // (spread at random, the three could block every partition at once and leave nothing to serve).
    const poison = await produce(topic, 3, true, { customer: 'cust-poison' });
    const rest = await produce(topic, 20);
    const normal = [...first, ...rest];
    const { sink, seen, log, next } = recordingSink(2);
    const consumer = new OrderConsumer({
      brokers,
      topic,
      groupId: 'poison-group',
      processingTimeMs: 2,
      sink,
      retry: { initialBackoffMs: 20, maxBackoffMs: 160 },
    });
    consumers.push(consumer);
    const attemptsOf = new Map<string, { partition: number; firstSeq: number; deadSeq: number | null }>();
    const idOf = (r: ConsumerRecord) => (JSON.parse(r.value!.toString()) as { id: string }).id;
    consumer.runtime.on('retry', ({ record }: { record: ConsumerRecord }) => {
      const id = idOf(record);
      if (!attemptsOf.has(id))
        attemptsOf.set(id, { partition: record.partition, firstSeq: next(), deadSeq: null });
    });
    consumer.runtime.on('deadLetter', ({ record }: { record: ConsumerRecord }) => {
      attemptsOf.get(idOf(record))!.deadSeq = next();
    });
    await consumer.start();
    await until(
      'the normal orders processed and the poison ones dead-lettered',
      async () =>
        normal.every((id) => seen.has(id)) && consumer.stats().dead_lettered === 3 ? true : undefined,
      60_000,
    );
    const s = consumer.stats();
    for (const id of normal) expect(seen.get(id), id).toBe(1);
    for (const id of poison) expect(seen.has(id), id).toBe(false);
    // Each poison order used exactly the budget (5 attempts), no more, then went to the DLQ once.
    expect(s.failed_attempts.poison).toBe(3 * 5);
    expect(s.dead_letters).toEqual({ poison: 3 });
    expect(s.retries).toBe(3 * 4);
    const metrics = await consumer.metrics.metrics();
    expect(metrics).toMatch(
      /^kafka_consumer_dead_letters_total\{consumer="consumer-1",reason="poison"\} 3$/m,
    );
    expect(metrics).toMatch(
      new RegExp(`^kafka_consumer_attempts_total\\{consumer="consumer-1"\\} ${s.attempts}$`, 'm'),
    );
    expect(metrics).toMatch(/^kafka_consumer_retries_total\{consumer="consumer-1"\} 12$/m);

    const tools = new DeadLetters({ brokers });
    try {
      const letters = await tools.read(dlq);
      expect(letters.map((d) => JSON.parse(d.value!.toString()).id).sort()).toEqual([...poison].sort());
      for (const d of letters) {
        expect(d.reason).toBe('poison');
        expect(d.attempts).toBe(5);
        expect(d.error).toMatch(/^PoisonOrderFailure: order orders-poison\/\d+@\d+ is marked poison/);
        expect(d.source?.topic).toBe(topic);
        expect(d.headers.map((h) => h.key)).toContain(POISON_HEADER);
        expect(d.replayed).toBe(false);
      }
      // The rest was not held up beyond the budget: the records behind a poison one in its partition
      // came after its dead-lettering (partition order), and other partitions were served meanwhile.
      let servedMeanwhile = 0;
      for (const id of poison) {
        const p = attemptsOf.get(id)!;
        expect(p.deadSeq).not.toBeNull();
        servedMeanwhile += log.filter(
          (w) => w.partition !== p.partition && w.seq > p.firstSeq && w.seq < p.deadSeq!,
        ).length;
      }
      expect(servedMeanwhile).toBeGreaterThan(0);

      // The fix, then replay: each poison order processed once, marked as a replay.
      consumer.setFailures({ poisonFixed: true });
      const first = await tools.replay(dlq);
      expect(first).toMatchObject({ matched: 3, replayed: 3, alreadyReplayed: 0, toTopics: { [topic]: 3 } });
      await until('the replayed orders processed', async () =>
        poison.every((id) => seen.get(id) === 1) ? true : undefined,
      );
      for (const id of poison) expect(log.find((w) => w.id === id)?.replayed).toBe(true);
      // A second call replays nothing, and nothing is processed twice.
      const second = await tools.replay(dlq);
      expect(second).toMatchObject({ matched: 3, replayed: 0, alreadyReplayed: 3 });
      expect((await tools.summary(dlq)).replayed).toBe(3);
      await until('the consumer idle', async () =>
        consumer.stats().in_flight === 0 && consumer.stats().succeeded === 43 ? true : undefined,
      );
      for (const id of [...normal, ...poison]) expect(seen.get(id), id).toBe(1);
      // Purge: the replayed prefix is deleted (DeleteRecords) and the topic reads empty.
      const purged = await tools.replay(dlq, {}, { purge: true });
      expect(purged.purged).toEqual([{ partition: 0, lowWatermark: 3n }]);
      expect(await tools.read(dlq)).toEqual([]);
    } finally {
      tools.close();
    }
  }, 90_000);
});
