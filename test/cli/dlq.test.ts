import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderConsumer } from '../../src/lab/consumer.js';
import { OrderProducer } from '../../src/lab/producer.js';
import { ensureTopic } from '../../src/lab/setup.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { killChildren, run } from '../helpers/run.js';
import { BIN, get, requireBuild, spawnSluice, until } from '../lab/helpers.js';

/**
 * `sluice dlq` (the built CLI) against an embedded broker that a lab consumer dead-letters poison
 * orders into: list and show read them; replay sends them back once, the consumer processes them (it is
 * fixed by then), and a second replay sends nothing.
 */

let broker: TestBroker;
let consumer: OrderConsumer;
let producer: OrderProducer;
const TOPIC = 'shop';
const DLQ = `${TOPIC}.dlq`;

const sluice = async (...args: string[]) => {
  const r = await run(process.execPath, [BIN, 'dlq', ...args, '--brokers', broker.bootstrap], {
    allowFailure: true,
  });
  return { ...r, out: r.stdout + r.stderr };
};

beforeAll(async () => {
  requireBuild();
  broker = await startTestBroker({ durability: 'memory', groups: { initialRebalanceDelayMs: 0 } });
  const brokers = [broker.bootstrap];
  await ensureTopic(brokers, TOPIC, 2);
  await ensureTopic(brokers, DLQ, 1);
  consumer = new OrderConsumer({
    brokers,
    topic: TOPIC,
    groupId: 'shop-processors',
    processingTimeMs: 1,
    retry: { initialBackoffMs: 5, maxBackoffMs: 20 },
  });
  await consumer.start();
  producer = new OrderProducer({ brokers, topic: TOPIC });
  await producer.connect();
  await producer.produce(5);
  await producer.produce(3, { poison: true });
  await until('5 orders processed and 3 dead-lettered', async () => {
    const s = consumer.stats();
    return s.succeeded === 5 && s.dead_lettered === 3 ? true : undefined;
  });
}, 60_000);

afterAll(async () => {
  killChildren();
  await consumer?.stop();
  await producer?.close(1000);
  await broker?.stop();
});

describe('sluice dlq', () => {
  it('lists dead-letter topics with counts and reasons, and shows their records', async () => {
    const list = await sluice('list');
    expect(list.code, list.out).toBe(0);
    const line = list.stdout.split('\n').find((l) => l.startsWith(DLQ));
    expect(line, list.stdout).toMatch(/^shop\.dlq\s+3\s+3\s+0\s+poison×3\s/);

    const show = await sluice('show', DLQ, '--reason', 'poison', '--limit', '2');
    expect(show.code, show.out).toBe(0);
    expect(show.stdout).toContain('shop.dlq: 3 dead letters match, the last 2 shown');
    expect(show.stdout).toMatch(/0@2 .* poison {2}from shop\/\d@\d+ {2}attempts 5/);
    expect(show.stdout).toContain('error: PoisonOrderFailure: order shop/');

    const json = JSON.parse((await sluice('show', DLQ, '--json')).stdout);
    expect(json).toHaveLength(3);
    expect(json[0]).toMatchObject({ topic: DLQ, partition: 0, offset: '0', reason: 'poison', attempts: 5 });
  });

  it('refuses a replay without a selection, saying what to give', async () => {
    const r = await sluice('replay', DLQ);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('say what to replay: --all, or --reason');
  });

  it('replays once: the records are processed, and a second call replays nothing', async () => {
    consumer.setFailures({ poisonFixed: true });
    const dry = await sluice('replay', DLQ, '--all', '--dry-run');
    expect(dry.stdout).toContain('3 matched, 3 would be replayed (3 to shop), 0 already replayed');

    const first = await sluice('replay', DLQ, '--reason', 'poison');
    expect(first.code, first.out).toBe(0);
    expect(first.stdout).toContain('shop.dlq: 3 matched, 3 replayed (3 to shop), 0 already replayed');
    expect(first.stdout).toContain('replay progress kept in group sluice-dlq-replay.shop.dlq');
    await until('the replayed orders processed', async () =>
      consumer.stats().succeeded === 8 ? true : undefined,
    );

    const second = await sluice('replay', DLQ, '--all', '--json');
    expect(second.code, second.out).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ matched: 3, replayed: 0, alreadyReplayed: 3 });
    // Nothing more reaches the consumer: the source topic holds exactly the 8 orders plus the 3 replays.
    await until('the consumer committed everything', async () => {
      const s = consumer.stats();
      const committed = s.partitions.reduce((n, p) => n + Number(p.committed ?? 0), 0);
      return committed === 11 && s.in_flight === 0 ? true : undefined;
    });
    expect(consumer.stats().succeeded).toBe(8);
    expect(consumer.stats().dead_lettered).toBe(3);

    const list = await sluice('list');
    expect(list.stdout).toMatch(/^shop\.dlq\s+3\s+0\s+3\s/m);
  });

  it('purges what was replayed (DeleteRecords)', async () => {
    const r = await sluice('replay', DLQ, '--all', '--purge');
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toContain('0 replayed');
    expect(r.stdout).toContain('purged shop.dlq/0 up to offset 3');
    expect((await sluice('list')).stdout).toMatch(/^shop\.dlq\s+0\s+0\s+0\s+-/m);
  });

  it('sluice consumer starts with failures given on the command line', async () => {
    const proc = await spawnSluice(
      [
        'consumer',
        '--port',
        '0',
        '--brokers',
        broker.bootstrap,
        '--topic',
        'quiet',
        '--group',
        'cli-failures',
        '--failure-rate',
        '0.25',
        '--failure',
        'poison',
      ],
      { ready: /sluice consumer: .* at http:\/\/\S+,/, timeoutMs: 30_000 },
    );
    // Port 0: the system picked one, and the ready line names it.
    const url = /at (http:\/\/\S+),/.exec(proc.output())![1];
    try {
      expect((await get(`${url}/config`)).body).toMatchObject({
        failure_rate: 0.25,
        failure: 'poison',
        poison_fixed: false,
        dead_letter_topic: 'quiet.dlq',
        retry: { max_attempts: 5 },
      });
    } finally {
      expect(await proc.stop()).toBe(0);
    }
  });
});
