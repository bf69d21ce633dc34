import { describe, expect, it } from 'vitest';
import {
  AimdLimit,
  type ConcurrencyLimit,
  GradientLimit,
  LimitExceededError,
  Limiter,
  VirtualClock,
} from '../../src/flow/index.js';

/** Feeds a limit `n` samples at a given latency with the limit fully used; returns the limits seen. */
function drive(limit: ConcurrencyLimit, n: number, rttMs: number, dropped = false): number[] {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) {
    limit.onSample({ rttMs, inflight: limit.limit, dropped });
    seen.push(limit.limit);
  }
  return seen;
}

describe('AimdLimit', () => {
  it('grows by one while healthy, backs off on slow requests, recovers after', () => {
    const limit = new AimdLimit({ initial: 10, max: 100, latencyThresholdMs: 50 });
    drive(limit, 20, 10);
    expect(limit.limit).toBe(30);
    drive(limit, 5, 200); // latency rose above the threshold
    expect(limit.limit).toBe(16); // 30 → 27 → 24 → 21 → 18 → 16 (×0.9, rounded down)
    drive(limit, 20, 10);
    expect(limit.limit).toBe(36);
  });

  it('backs off on drops, never below min, and does not grow when the limit is not used', () => {
    const limit = new AimdLimit({ initial: 10, min: 4 });
    drive(limit, 50, 10, true);
    expect(limit.limit).toBe(4);
    limit.onSample({ rttMs: 1, inflight: 1, dropped: false });
    expect(limit.limit).toBe(4);
  });
});

describe('GradientLimit', () => {
  it('falls when latency rises and recovers once it is back', () => {
    const limit = new GradientLimit({ initial: 50, max: 200 });
    drive(limit, 200, 10);
    const healthy = limit.limit;
    expect(healthy).toBeGreaterThan(50);
    const during = drive(limit, 30, 60); // latency x6
    expect(during[during.length - 1]).toBeLessThan(healthy / 2);
    const low = limit.limit;
    drive(limit, 300, 10);
    expect(limit.limit).toBeGreaterThan(low * 2);
    expect(limit.baselineRttMs).toBeLessThan(20);
  });

  it('ignores latency while the limit is not being used', () => {
    const limit = new GradientLimit({ initial: 40 });
    for (let i = 0; i < 50; i++) limit.onSample({ rttMs: 1000, inflight: 1, dropped: false });
    expect(limit.limit).toBe(40);
  });
});

describe('Limiter', () => {
  it('keeps at most `limit` in flight, queues the rest FIFO, and feeds latency to the limit', async () => {
    const clock = new VirtualClock();
    const aimd = new AimdLimit({ initial: 2, max: 2, latencyThresholdMs: 100 });
    const limiter = new Limiter({ limit: aimd, clock });
    const started: number[] = [];
    let maxInflight = 0;
    const jobs = [0, 1, 2, 3, 4].map((i) =>
      limiter.run(async () => {
        started.push(i);
        maxInflight = Math.max(maxInflight, limiter.inflight);
        await clock.sleep(50);
        return i * 10;
      }),
    );
    await clock.runUntilIdle();
    expect(await Promise.all(jobs)).toEqual([0, 10, 20, 30, 40]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(maxInflight).toBe(2);
    expect(clock.now()).toBe(150);
    expect(limiter.stats).toMatchObject({ succeeded: 5, inflight: 0 });
  });

  it('a slow dependency lowers the limit through run(); errors count as drops', async () => {
    const clock = new VirtualClock();
    const limiter = new Limiter({ limit: new AimdLimit({ initial: 20, latencyThresholdMs: 100 }), clock });
    const slow = Array.from({ length: 3 }, () => limiter.run(() => clock.sleep(500)));
    await clock.runUntilIdle();
    await Promise.all(slow);
    // Three slow answers from one round trip cut the limit once, like TCP: 20 → 18.
    expect(limiter.limit).toBe(18);
    const before = limiter.limit;
    await expect(limiter.run(() => Promise.reject(new Error('503')))).rejects.toThrow('503');
    expect(limiter.limit).toBeLessThan(before);
    expect(limiter.stats.dropped).toBe(1);
  });

  it('release reports exactly once; a full waiting line and aborts reject', async () => {
    const limiter = new Limiter({ limit: new AimdLimit({ initial: 1, max: 1 }), maxWaiting: 1 });
    const r = await limiter.acquire();
    r.success();
    r.success();
    expect(limiter.inflight).toBe(0);
    const held = limiter.tryAcquire()!;
    const ac = new AbortController();
    const waiting = limiter.acquire(ac.signal);
    await expect(limiter.acquire()).rejects.toBeInstanceOf(LimitExceededError);
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    held.ignore();
    expect(limiter.stats).toMatchObject({ succeeded: 1, ignored: 1, rejected: 1, waiting: 0 });
  });

  it('on a sink that serves 10 at a time, the limits settle near its knee instead of collapsing or running away', async () => {
    const settle = async (limit: ConcurrencyLimit) => {
      const clock = new VirtualClock();
      const limiter = new Limiter({ limit, clock });
      let active = 0;
      // 10 in flight take 10 ms; more queue behind them in steps of 10 ms.
      const sink = async () => {
        active++;
        await clock.sleep(10 * Math.ceil(active / 10));
        active--;
      };
      const limits: number[] = [];
      const workers = Array.from({ length: 60 }, async () => {
        for (let i = 0; i < 150; i++) {
          await limiter.run(sink);
          limits.push(limiter.limit);
        }
      });
      await clock.runUntilIdle();
      await Promise.all(workers);
      return limits.slice(limits.length / 2); // after warm-up
    };
    const gradient = await settle(new GradientLimit({ initial: 5, max: 200 }));
    expect(Math.min(...gradient)).toBeGreaterThanOrEqual(5);
    const median = [...gradient].sort((a, b) => a - b)[gradient.length >> 1];
    expect(median).toBeGreaterThanOrEqual(10);
    expect(median).toBeLessThanOrEqual(25); // tolerance 1.5 over a 10 ms no-load latency
    const aimd = await settle(new AimdLimit({ initial: 5, max: 200, latencyThresholdMs: 25 }));
    expect(Math.min(...aimd)).toBeGreaterThanOrEqual(10); // backs off once per round trip: no collapse to 1
    expect(Math.max(...aimd)).toBeLessThanOrEqual(60);
  });
});
