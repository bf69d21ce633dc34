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

  it('reject mode lets a batch larger than a whole second through when the buckets are full', async () => {
    const clock = new VirtualClock(0);
    const q = new ProduceQuotas({ mode: 'reject', recordsPerSecond: 100 }, clock);
    expect(q.check('t', 0, 250, 1).admitted).toBe(true); // 150 records of debt
    await clock.advance(1000);
    expect(q.check('t', 0, 1, 1).admitted).toBe(false); // still repaying: -150 + 100
    await clock.advance(1500);
    expect(q.check('t', 0, 100, 1).admitted).toBe(true);
  });

  it('sustained load in throttle mode is held to the configured rate', async () => {
    const clock = new VirtualClock(0);
    const q = new ProduceQuotas({ mode: 'throttle', recordsPerSecond: 1000 }, clock);
    // A producer that obeys throttle_time_ms: sends 100 records, waits what it is told (at least 10 ms).
    let sent = 0;
    while (clock.now() < 10_000) {
      const { throttleMs } = q.check('t', 0, 100, 1);
      sent += 100;
      await clock.advance(Math.max(10, throttleMs));
    }
    // 1000 records of initial burst plus 1000/s for 10 s, give or take one batch.
    expect(sent).toBeGreaterThanOrEqual(10_900);
    expect(sent).toBeLessThanOrEqual(11_100);
  });
});
