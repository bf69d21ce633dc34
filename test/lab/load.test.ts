import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { Lab } from '../../src/lab/lab.js';
import { runLoad, targetRate } from '../../src/lab/load.js';
import { get, http, until } from './helpers.js';

/**
 * The load generator against a lab that talks to an external broker (`--brokers`): here a separately
 * started Sluice broker stands in for the real cluster, so the lab takes the same path it would with Kafka.
 */

let broker: Broker;
let lab: Lab;

beforeAll(async () => {
  broker = new Broker({ port: 0, durability: 'memory' }, { logger: pino({ level: 'silent' }) });
  const addr = await broker.start();
  lab = await Lab.start({
    brokers: [`127.0.0.1:${addr.port}`],
    ports: { producer: 0, consumer: 0, monitor: 0 },
    processingTimeMs: 5,
    monitorIntervalMs: 200,
    admission: { maxLag: 40 },
  });
}, 30_000);

afterAll(async () => {
  await lab?.stop();
  await broker?.stop();
}, 30_000);

describe('burst shape', () => {
  it('holds the rate outside the middle half and sends ten times as much inside it', () => {
    expect(targetRate('steady', 20, 5_000, 10_000)).toBe(20);
    expect(targetRate('burst', 20, 2_000, 10_000)).toBe(20);
    expect(targetRate('burst', 20, 2_500, 10_000)).toBe(200);
    expect(targetRate('burst', 20, 7_499, 10_000)).toBe(200);
    expect(targetRate('burst', 20, 7_500, 10_000)).toBe(20);
  });
});

describe('sluice load against the producer API (lab on an external broker)', () => {
  it('the lab created the topic on the external broker with six partitions and no embedded broker', () => {
    expect(lab.broker).toBeNull();
    expect(broker.store.partitionCount('orders')).toBe(6);
    expect(lab.describe()).toMatchObject({ embedded_broker: false, storage: 'external' });
  });

  it('steady load is acknowledged order for order and consumed', async () => {
    const before = (await get(`${lab.urls.producer}/stats`)).body.produced;
    const progress: number[] = [];
    const report = await runLoad({
      url: lab.urls.producer!,
      scenario: 'steady',
      rate: 50,
      durationMs: 2_000,
      onProgress: (p) => progress.push(p.accepted),
    });
    expect(report.errors).toBe(0);
    expect(report.rejected_429).toBe(0);
    expect(report.accepted).toBe(report.sent);
    // 50/s for 2 s in 10 requests a second: never more than the schedule's 100 orders. No lower bound:
    // a loaded machine may fall behind the schedule, which is what the report's `behind` counts.
    expect(report.sent).toBeLessThanOrEqual(100);
    expect(report.sent).toBeGreaterThan(0);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    const after = (await get(`${lab.urls.producer}/stats`)).body.produced;
    expect(after - before).toBe(report.accepted);
    await until('the consumer to catch up', async () => {
      const s = (await get(`${lab.urls.consumers[0]}/stats`)).body;
      return s.consumed >= after ? true : undefined;
    });
  }, 30_000);

  it('honours 429 + Retry-After from admission control and counts the refusals', async () => {
    const c = lab.urls.consumers[0];
    await http('POST', `${c}/pause`);
    const report = await runLoad({ url: lab.urls.producer!, scenario: 'burst', rate: 40, durationMs: 2_500 });
    await http('POST', `${c}/resume`);
    expect(report.rejected_429).toBeGreaterThan(0);
    expect(report.errors).toBe(0);
    // After the first 429 the generator waits Retry-After (>= 1 s) instead of hammering.
    expect(report.requests).toBeLessThan(25);
    const stats = (await get(`${lab.urls.producer}/stats`)).body;
    expect(stats.rejected.lag).toBeGreaterThanOrEqual(report.rejected_429);
  }, 30_000);
});
