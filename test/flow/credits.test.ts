import { describe, expect, it } from 'vitest';
import { Credits, FlowClosedError, VirtualClock } from '../../src/flow/index.js';

describe('Credits', () => {
  it('nothing moves without credit: the sender waits until the receiver grants', async () => {
    const credits = new Credits({ initial: 0 });
    let moved = 0;
    const sender = (async () => {
      for (let i = 0; i < 5; i++) {
        await credits.acquire();
        moved++;
      }
    })();
    await Promise.resolve();
    expect(moved).toBe(0);
    credits.grant(2);
    await new Promise((r) => setImmediate(r));
    expect(moved).toBe(2);
    credits.grant(3);
    await sender;
    expect(moved).toBe(5);
    expect(credits.stats).toMatchObject({ granted: 5, spent: 5, available: 0 });
  });

  it('reproduces the incident write-up: 1000 initial, batches of 100, stop when low, resume on grant', async () => {
    const clock = new VirtualClock();
    const credits = new Credits({ initial: 1000 });
    const log: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const producer = (async () => {
      for (let batch = 0; batch < 20; batch++) {
        await credits.acquire(100);
        inFlight += 100;
        maxInFlight = Math.max(maxInFlight, inFlight);
        log.push(`sent@${clock.now()}`);
      }
    })();
    const consumer = (async () => {
      let processed = 0;
      while (processed < 2000) {
        await clock.sleep(1000); // processes 500 per second, then grants them back
        const n = Math.min(500, inFlight);
        inFlight -= n;
        processed += n;
        credits.grant(n);
      }
    })();
    await clock.runUntilIdle();
    await Promise.all([producer, consumer]);
    expect(maxInFlight).toBe(1000);
    expect(log.slice(0, 10).every((l) => l === 'sent@0')).toBe(true);
    expect(log[10]).toBe('sent@1000');
  });

  it('serves waiters in FIFO order; a big request at the head is not starved by small ones', async () => {
    const credits = new Credits();
    const order: string[] = [];
    const big = credits.acquire(5).then(() => order.push('big'));
    const small = credits.acquire(1).then(() => order.push('small'));
    expect(credits.tryAcquire(1)).toBe(false); // would jump the queue
    credits.grant(3);
    await Promise.resolve();
    expect(order).toEqual([]);
    credits.grant(3);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
    expect(credits.available).toBe(0);
  });

  it('an aborted wait leaves the queue and unblocks those behind it', async () => {
    const credits = new Credits({ initial: 2 });
    const ac = new AbortController();
    const big = credits.acquire(10, ac.signal);
    const small = credits.acquire(2);
    expect(credits.waiting).toBe(2);
    ac.abort(new Error('cancelled'));
    await expect(big).rejects.toThrow('cancelled');
    await small;
    expect(credits.waiting).toBe(0);
  });

  it('caps banked credits at max, rejects impossible requests, and fails waiters on close', async () => {
    const credits = new Credits({ initial: 0, max: 4 });
    credits.grant(100);
    expect(credits.available).toBe(4);
    expect(() => credits.tryAcquire(5)).toThrow(/more than the most ever banked/);
    expect(credits.revoke(3)).toBe(3);
    const w = credits.acquire(4);
    credits.close();
    await expect(w).rejects.toBeInstanceOf(FlowClosedError);
    await expect(credits.acquire()).rejects.toBeInstanceOf(FlowClosedError);
    expect(() => credits.grant(-1)).toThrow(/grant must be a number >= 0 \(got -1\)/);
  });

  it('takes what is available up to a maximum, for fetches sized to what the sink can take now', async () => {
    const credits = new Credits({ initial: 300 });
    expect(credits.tryAcquireUpTo(500)).toBe(300);
    expect(credits.tryAcquireUpTo(500)).toBe(0);
    const waiting = credits.acquireUpTo(500);
    credits.grant(120);
    expect(await waiting).toBe(120);
    credits.grant(1000);
    expect(await credits.acquireUpTo(500)).toBe(500);
    expect(credits.available).toBe(500);
    expect(credits.stats.spent).toBe(920);
  });
});
