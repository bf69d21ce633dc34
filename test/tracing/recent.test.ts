import { describe, expect, it } from 'vitest';
import type { FetchedRecord } from '../../src/client/fetcher.js';
import { RecentTraces } from '../../src/tracing/recent.js';

/** The dashboard's in-memory timelines, driven through the runtime's hooks with explicit times. */

const record = (
  partition: number,
  offset: number,
  timestamp: number,
  traceparent?: string,
): FetchedRecord => ({
  topic: 'orders',
  partition,
  offset: BigInt(offset),
  timestamp,
  key: Buffer.from(`k${offset}`),
  value: null,
  headers: traceparent ? [{ key: 'traceparent', value: Buffer.from(traceparent) }] : [],
});

describe('RecentTraces', () => {
  it('turns the hooks into bars: broker, in flight, sink attempts, backoff, dead letter', () => {
    const recent = new RecentTraces();
    const t = recent.taken(
      record(0, 7, 1000, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
      4000,
    );
    t.attemptStarted(1, 4500);
    t.attemptEnded(1, 5000, new Error('boom'));
    t.attemptStarted(2, 5200);
    t.attemptEnded(2, 5700, new Error('boom'));
    t.deadLetterStarted(5700);
    t.finished('dead-lettered', 5750);
    const [o] = recent.snapshot().slowest;
    expect(o.trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(o.bars).toEqual([
      { part: 'broker', start_ms: 0, duration_ms: 3000 },
      { part: 'in flight', start_ms: 3000, duration_ms: 500 },
      { part: 'sink', start_ms: 3500, duration_ms: 500, attempt: 1, failed: true },
      { part: 'backoff', start_ms: 4000, duration_ms: 200 },
      { part: 'sink', start_ms: 4200, duration_ms: 500, attempt: 2, failed: true },
      { part: 'dead letter', start_ms: 4700, duration_ms: 50 },
    ]);
    expect([o.total_ms, o.waiting_ms, o.working_ms, o.attempts, o.outcome]).toEqual([
      4750,
      3700,
      1050,
      2,
      'dead-lettered',
    ]);
  });

  it('ignores an attempt that ends after the record was abandoned', () => {
    const recent = new RecentTraces();
    const t = recent.taken(record(1, 1, 0), 100);
    t.attemptStarted(1, 200);
    t.finished('abandoned', 300);
    t.attemptEnded(1, 900);
    const [o] = recent.snapshot().slowest;
    expect(o.outcome).toBe('abandoned');
    expect(o.total_ms).toBe(300);
    expect(o.bars.map((b) => b.part)).toEqual(['broker', 'in flight', 'sink']);
  });

  it('adds no bar between a successful attempt and the end, however late the end is stamped', () => {
    const recent = new RecentTraces();
    const t = recent.taken(record(0, 3, 0), 100);
    t.attemptStarted(1, 150);
    t.attemptEnded(1, 250);
    // The runtime's bookkeeping after the sink reads the clock again: a millisecond may have passed.
    t.finished('done', 251);
    const [o] = recent.snapshot().slowest;
    expect(o.bars.map((b) => b.part)).toEqual(['broker', 'in flight', 'sink']);
    expect([o.total_ms, o.waiting_ms, o.working_ms]).toEqual([251, 150, 100]);
  });

  it('keeps the last N, lists the slowest first and sums waiting vs working per partition', () => {
    const recent = new RecentTraces({ keep: 3 });
    const finish = (partition: number, offset: number, waitMs: number, workMs: number) => {
      const t = recent.taken(record(partition, offset, 0), waitMs);
      t.attemptStarted(1, waitMs);
      t.attemptEnded(1, waitMs + workMs);
      t.finished('done', waitMs + workMs);
    };
    finish(0, 0, 10_000, 10); // pushed out by the three after it
    finish(0, 1, 300, 100);
    finish(1, 0, 100, 100);
    finish(1, 1, 900, 100);
    const snap = recent.snapshot(2);
    expect(snap.orders).toBe(3);
    expect(snap.slowest.map((o) => `${o.partition}@${o.offset}`)).toEqual(['1@1', '0@1']);
    expect(snap.partitions).toEqual([
      { topic: 'orders', partition: 0, orders: 1, waiting_ms: 300, working_ms: 100, waiting_share: 0.75 },
      {
        topic: 'orders',
        partition: 1,
        orders: 2,
        waiting_ms: 1000,
        working_ms: 200,
        waiting_share: 1000 / 1200,
      },
    ]);
  });
});
