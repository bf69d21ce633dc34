import { describe, expect, it } from 'vitest';
import { RealClock, VirtualClock } from '../../src/flow/index.js';

describe('VirtualClock', () => {
  it('fires timers in time order, ties in scheduling order, and only when advanced', async () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => fired.push('a@10'), 10);
    clock.setTimeout(() => fired.push('c@20'), 20);
    clock.setTimeout(() => fired.push('d@0'), 0);
    expect(fired).toEqual([]);
    await clock.advance(10);
    expect(fired).toEqual(['d@0', 'a@10']);
    expect(clock.now()).toBe(1010);
    await clock.advanceTo(1100);
    expect(fired).toEqual(['d@0', 'a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(1100);
    expect(clock.pending()).toBe(0);
  });

  it('runs intervals until cancelled and reports what is pending', async () => {
    const clock = new VirtualClock();
    const ticks: number[] = [];
    const t = clock.setInterval(() => ticks.push(clock.now()), 100);
    const once = clock.setTimeout(() => ticks.push(-1), 150);
    once.cancel();
    expect(clock.pending()).toBe(1);
    await clock.advance(350);
    expect(ticks).toEqual([100, 200, 300]);
    t.cancel();
    await clock.advance(1000);
    expect(ticks).toHaveLength(3);
    expect(clock.pending()).toBe(0);
  });

  it('settles promise chains woken by one timer before the next fires', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    (async () => {
      await clock.sleep(10);
      await Promise.resolve();
      log.push(`woke@${clock.now()}`);
      await clock.sleep(5);
      log.push(`again@${clock.now()}`);
    })();
    clock.setTimeout(() => log.push('timer@12'), 12);
    await clock.runUntilIdle();
    expect(log).toEqual(['woke@10', 'timer@12', 'again@15']);
  });

  it('sleep rejects with the abort reason, before or during the wait', async () => {
    const clock = new VirtualClock();
    await expect(clock.sleep(10, AbortSignal.abort(new Error('early')))).rejects.toThrow('early');
    const ac = new AbortController();
    const p = clock.sleep(100, ac.signal);
    await clock.advance(50);
    ac.abort(new Error('late'));
    await expect(p).rejects.toThrow('late');
    expect(clock.pending()).toBe(0);
  });

  it('runUntilIdle stops at its limit when an interval never runs out', async () => {
    const clock = new VirtualClock();
    let n = 0;
    clock.setInterval(() => n++, 1000);
    await clock.runUntilIdle(10_000);
    expect(n).toBe(10);
    expect(clock.nextDue()).toBe(11_000);
  });

  it('advanceSync moves time and fires due timers without awaiting', () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    clock.setInterval(() => fired.push(clock.now()), 250);
    clock.advanceSync(1000);
    expect(fired).toEqual([250, 500, 750, 1000]);
    expect(clock.now()).toBe(1000);
  });

  it('keeps thousands of timers in order', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const delays = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000);
    for (const d of delays) clock.setTimeout(() => fired.push(d), d);
    clock.advanceSync(5000);
    expect(fired).toEqual([...delays].sort((a, b) => a - b));
  });
});

describe('RealClock', () => {
  it('tells real time and sleeps for real', async () => {
    const clock = new RealClock();
    const before = clock.now();
    expect(Math.abs(before - Date.now())).toBeLessThan(50);
    await clock.sleep(5);
    expect(clock.now()).toBeGreaterThanOrEqual(before + 4);
    let fired = 0;
    const t = clock.setInterval(() => fired++, 1);
    await clock.sleep(20);
    t.cancel();
    const after = fired;
    await clock.sleep(10);
    expect(after).toBeGreaterThan(0);
    expect(fired).toBe(after);
  });
});
