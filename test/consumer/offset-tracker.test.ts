import { describe, expect, it } from 'vitest';
import { OffsetTracker } from '../../src/consumer/offset-tracker.js';

describe('OffsetTracker', () => {
  it('commits the first unfinished offset, whatever order records complete in', () => {
    const t = new OffsetTracker(100n);
    expect(t.committable).toBe(100n);
    const e = [100n, 101n, 102n, 103n].map((o) => t.track(o));
    expect(t.committable).toBe(100n);
    t.complete(e[2]);
    t.complete(e[1]);
    expect(t.committable).toBe(100n);
    expect(t.deferred).toBe(2);
    expect(t.gapAt).toBe(100n);
    t.complete(e[0]);
    expect(t.committable).toBe(103n);
    expect(t.deferred).toBe(0);
    t.complete(e[3]);
    expect(t.committable).toBe(104n);
    expect(t.size).toBe(0);
  });

  it('steps over offsets that carried no record once nothing is pending', () => {
    const t = new OffsetTracker();
    expect(t.committable).toBe(null);
    const a = t.track(5n);
    t.advanceTo(9n); // e.g. a transaction marker at 5..8
    expect(t.committable).toBe(5n);
    t.complete(a);
    expect(t.committable).toBe(9n);
    t.advanceTo(7n); // never backwards
    expect(t.committable).toBe(9n);
  });

  it('refuses offsets that do not increase', () => {
    const t = new OffsetTracker();
    t.track(3n);
    expect(() => t.track(3n)).toThrow(/not after the last tracked offset 3/);
  });

  it('completing twice counts once', () => {
    const t = new OffsetTracker(0n);
    const a = t.track(0n);
    const b = t.track(1n);
    t.complete(b);
    t.complete(b);
    expect(t.deferred).toBe(1);
    t.complete(a);
    expect(t.committable).toBe(2n);
  });
});
