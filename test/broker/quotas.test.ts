import { describe, expect, it } from 'vitest';
import { ProduceQuotas } from '../../src/broker/quotas.js';
import { VirtualClock } from '../../src/flow/clock.js';

describe('produce quotas (Kinesis shard style: per partition, records/s and bytes/s)', () => {
  it('throttle mode accepts everything and reports how long the producer must wait', async () => {
    const clock = new VirtualClock(0);
    const q = new ProduceQuotas({ mode: 'throttle', recordsPerSecond: 1000 }, clock);
    // One second of burst is free.
    expect(q.check('t', 0, 1000, 10)).toEqual({ admitted: true, throttleMs: 0 });
    // 500 records over: half a second of debt.
    expect(q.check('t', 0, 500, 10)).toEqual({ admitted: true, throttleMs: 500 });
    // Other partitions have their own allowance (a shard each).
    expect(q.check('t', 1, 1000, 10)).toEqual({ admitted: true, throttleMs: 0 });
    await clock.advance(500);
    expect(q.check('t', 0, 100, 10)).toEqual({ admitted: true, throttleMs: 100 });
  });

  it('reject mode refuses writes over quota without charging for them, until tokens refill', async () => {
    const clock = new VirtualClock(0);
    const q = new ProduceQuotas({ mode: 'reject', recordsPerSecond: 1000, bytesPerSecond: 1_000_000 }, clock);
    expect(q.check('t', 0, 600, 100).admitted).toBe(true);
    expect(q.check('t', 0, 600, 100).admitted).toBe(false); // 400 left
    expect(q.check('t', 0, 400, 100).admitted).toBe(true); // the refusal cost nothing
    expect(q.check('t', 0, 1, 1).admitted).toBe(false);
    await clock.advance(100); // 100 records of allowance back
    expect(q.check('t', 0, 100, 100).admitted).toBe(true);
    expect(q.check('t', 0, 1, 1).admitted).toBe(false);
  });

  it('reject mode enforces the bytes limit independently of the records limit', () => {
    const clock = new VirtualClock(0);
    const q = new ProduceQuotas({ mode: 'reject', recordsPerSecond: 1000, bytesPerSecond: 1000 }, clock);
    expect(q.check('t', 0, 1, 800).admitted).toBe(true);
    expect(q.check('t', 0, 1, 300).admitted).toBe(false);
  });

  it('reject mode refuses a batch larger than a whole second of allowance, even into full buckets', () => {
    const clock = new VirtualClock(0);
    const q = new ProduceQuotas({ mode: 'reject', recordsPerSecond: 1000, bytesPerSecond: 100_000 }, clock);
    // The burst: 5,000 records in one batch into a full 1,000 records/s bucket.
    expect(q.check('t', 0, 5000, 50_000)).toEqual({
      admitted: false,
      reason: 'over-burst',
      limit: 'records',
      burst: 1000,
      size: 5000,
    });
    expect(q.check('t', 0, 10, 200_000)).toMatchObject({
      admitted: false,
      reason: 'over-burst',
      limit: 'bytes',
    });
    // Refusing it charged nothing: a whole second's allowance still fits.
    expect(q.check('t', 0, 1000, 1000)).toEqual({ admitted: true, throttleMs: 0 });
  });

  it('reject mode says when the buckets will hold a refused batch', async () => {
    const clock = new VirtualClock(0);
    const q = new ProduceQuotas({ mode: 'reject', recordsPerSecond: 100 }, clock);
    expect(q.check('t', 0, 100, 1).admitted).toBe(true);
    expect(q.check('t', 0, 50, 1)).toEqual({ admitted: false, reason: 'over-quota', retryAfterMs: 500 });
    await clock.advance(500);
    expect(q.check('t', 0, 50, 1).admitted).toBe(true);
  });

  it('sustained load in throttle mode is held to the configured rate', async () => {
    const clock = new VirtualClock(0);
    const q = new ProduceQuotas({ mode: 'throttle', recordsPerSecond: 1000 }, clock);
    // A producer that obeys throttle_time_ms: sends 100 records, waits what it is told (at least 10 ms).
    let sent = 0;
    while (clock.now() < 10_000) {
      const decision = q.check('t', 0, 100, 1);
      const throttleMs = decision.admitted ? decision.throttleMs : 0;
      sent += 100;
      await clock.advance(Math.max(10, throttleMs));
    }
    // 1000 records of initial burst plus 1000/s for 10 s, give or take one batch.
    expect(sent).toBeGreaterThanOrEqual(10_900);
    expect(sent).toBeLessThanOrEqual(11_100);
  });
});
