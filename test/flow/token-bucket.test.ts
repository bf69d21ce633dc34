import { describe, expect, it } from 'vitest';
import { TokenBucket, VirtualClock } from '../../src/flow/index.js';

describe('TokenBucket', () => {
  it('admits a burst, then the sustained rate', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, clock });
    let admitted = 0;
    for (let i = 0; i < 100; i++) if (bucket.tryTake()) admitted++;
    expect(admitted).toBe(5);
    await clock.advance(1000);
    expect(bucket.available).toBe(5); // capped at burst, not 10
  });

  it('holds its rate exactly over a long run (one virtual hour, polled every ms)', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ ratePerSec: 7, burst: 3, initial: 0, clock });
    let admitted = 0;
    for (let t = 1; t <= 3_600_000; t++) {
      clock.advanceSync(1);
      while (bucket.tryTake()) admitted++;
    }
    expect(admitted).toBe(7 * 3600);
  });

  it('take() reserves and returns the wait; waiting callers are paced at the rate', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ ratePerSec: 100, burst: 1, clock });
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(10);
    expect(bucket.take()).toBe(20);
    expect(bucket.waitTimeMs()).toBe(30);
    const times: number[] = [];
    const clock2 = new VirtualClock();
    const paced = new TokenBucket({ ratePerSec: 50, burst: 1, clock: clock2 });
    const run = (async () => {
      for (let i = 0; i < 5; i++) {
        await paced.acquire();
        times.push(clock2.now());
      }
    })();
    await clock2.runUntilIdle();
    await run;
    expect(times).toEqual([0, 20, 40, 60, 80]);
  });

  it('gives back the reservation of an aborted acquire', async () => {
    const clock = new VirtualClock();
    const bucket = new TokenBucket({ ratePerSec: 1, burst: 1, clock });
    bucket.tryTake();
    const ac = new AbortController();
    const p = bucket.acquire(1, ac.signal);
    ac.abort(new Error('no'));
    await expect(p).rejects.toThrow('no');
    expect(bucket.available).toBe(0);
  });

  it('rejects a zero rate', () => {
    expect(() => new TokenBucket({ ratePerSec: 0, burst: 1 })).toThrow(/ratePerSec must be above 0/);
  });
});
