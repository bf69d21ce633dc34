import { describe, expect, it } from 'vitest';
import { ColumnSlab, SampleRing, SampleTimes, slopePerSecond } from '../../src/monitor/sample-ring.js';
import { producedAt, timeLag } from '../../src/monitor/time-lag.js';

describe('lag in seconds', () => {
  it('exact from the record timestamp; zero when caught up; never negative under clock skew', () => {
    const ring = new SampleRing(4);
    expect(timeLag(10_000, 5, 9, 7_500, ring)).toEqual({ seconds: 2.5, method: 'exact' });
    expect(timeLag(10_000, 9, 9, undefined, ring)).toEqual({ seconds: 0, method: 'exact' });
    expect(timeLag(10_000, 5, 9, 12_000, ring)).toEqual({ seconds: 0, method: 'exact' });
    expect(timeLag(10_000, null, 9, undefined, ring)).toEqual({ seconds: null, method: 'unknown' });
  });

  it('interpolates when the log end passed the committed offset between two samples', () => {
    const ring = new SampleRing(10);
    // 10 records/s from t=0: end = 0, 10, 20, 30 at t = 0, 1, 2, 3 s.
    for (let i = 0; i < 4; i++) ring.push(i * 1000, i * 10, 0);
    // Record 14 appeared between t=1 s (end 10) and t=2 s (end 20): the 5th of 10, at 1.5 s.
    expect(producedAt(14, ring)).toBe(1500);
    expect(timeLag(3000, 14, 30, undefined, ring)).toEqual({ seconds: 1.5, method: 'interpolated' });
  });

  it('says unknown (with a lower bound) rather than guessing past its history', () => {
    const ring = new SampleRing(3);
    for (let i = 0; i < 5; i++) ring.push(i * 1000, 100 + i * 10, 0);
    // Oldest kept sample: t=2 s, end 120. Record 50 is older than that.
    const r = timeLag(4000, 50, 140, undefined, ring);
    expect(r.method).toBe('unknown');
    expect(r.seconds).toBeNull();
    expect(r.atLeastSeconds).toBe(2);
  });

  it('rate of change by least squares is robust to one jittered sample', () => {
    const t = [0, 1000, 2100, 3000, 4000];
    const y = [0, 10, 21, 30, 40];
    expect(slopePerSecond(t, y)).toBeCloseTo(10, 6);
    expect(slopePerSecond([0], [5])).toBe(0);
    expect(slopePerSecond([0, 1000, 2000], [Number.NaN, 5, 7])).toBeCloseTo(2, 6);
  });
});

describe('sample rings on one shared time column', () => {
  it('each ring keeps only its own samples, wraps with the times, and starts over after a missed tick', () => {
    const times = new SampleTimes(3);
    const early = new SampleRing(3, times);
    const late = new SampleRing(3, times);
    for (let i = 0; i < 5; i++) {
      times.tick(i * 1000);
      early.push(i * 1000, 100 + i * 10, 90 + i);
      if (i >= 3) late.push(i * 1000, 7 + i, null);
    }
    expect(early.window(10)).toEqual({
      t: [2000, 3000, 4000],
      end: [120, 130, 140],
      committed: [92, 93, 94],
    });
    expect(late.window(10)).toEqual({ t: [3000, 4000], end: [10, 11], committed: [Number.NaN, Number.NaN] });
    // Interpolation reads the shared times: record 125 appeared between t=2 s (end 120) and t=3 s (end 130).
    expect(producedAt(125, early)).toBe(2600);
    times.tick(5000); // `late` misses this cycle
    early.push(5000, 150, 95);
    times.tick(6000);
    late.push(6000, 20, 3);
    expect(late.window(10)).toEqual({ t: [6000], end: [20], committed: [3] });
  });

  it('keeps commits for the window only, log ends for the whole history', () => {
    const ring = new SampleRing(6, undefined, 3);
    for (let i = 0; i < 8; i++) ring.push(i * 1000, i * 10, 100 + i);
    // Six log ends back (t = 2..7 s), three commits (t = 5..7 s), wrapped in both columns.
    expect(ring.window(10)).toEqual({ t: [5000, 6000, 7000], end: [50, 60, 70], committed: [105, 106, 107] });
    expect(producedAt(25, ring)).toBe(2600);
    expect(timeLag(7000, 15, 70, undefined, ring)).toMatchObject({ method: 'unknown', atLeastSeconds: 5 });
    expect(() => new SampleRing(3, undefined, 4)).toThrow(/committedCapacity 4: use 1\.\.capacity \(3\)/);
  });

  it('take their columns from one slab, and a released column serves the next ring from empty', () => {
    const slab = new ColumnSlab(6 + 3, 2);
    const times = new SampleTimes(6);
    const [a, b, c] = [0, 1, 2].map(() => new SampleRing(6, times, 3, slab));
    for (let i = 0; i < 8; i++) {
      times.tick(i * 1000);
      a.push(i * 1000, i * 10, 100 + i);
      b.push(i * 1000, i * 20, 200 + i);
      c.push(i * 1000, i * 30, 300 + i);
    }
    // Neighbours in one chunk do not write into each other.
    expect(a.window(10)).toEqual({ t: [5000, 6000, 7000], end: [50, 60, 70], committed: [105, 106, 107] });
    expect(b.window(10)).toEqual({ t: [5000, 6000, 7000], end: [100, 120, 140], committed: [205, 206, 207] });
    expect(c.window(10)).toEqual({ t: [5000, 6000, 7000], end: [150, 180, 210], committed: [305, 306, 307] });
    expect(slab.inUse).toBe(3);
    const columnOf = (r: SampleRing) => (r as unknown as { columns: Float64Array }).columns;
    const bColumn = columnOf(b);
    expect(bColumn.buffer).toBe(columnOf(a).buffer); // two columns per chunk: a and b share one
    expect(columnOf(c).buffer).not.toBe(bColumn.buffer);
    b.release();
    b.release(); // a second release gives nothing back
    expect(slab.inUse).toBe(2);
    const d = new SampleRing(6, times, 3, slab);
    expect(columnOf(d)).toBe(bColumn);
    expect(d.length).toBe(0);
    times.tick(8000);
    d.push(8000, 5, 1);
    expect(d.window(10)).toEqual({ t: [8000], end: [5], committed: [1] });
    expect(producedAt(3, d)).toBeUndefined(); // nothing of b's history is read back
    expect([...bColumn]).toEqual([0, 0, 5, 0, 0, 0, 0, 0, 1]); // b's samples zeroed
    expect(() => new SampleRing(6, times, 2, slab)).toThrow(/6 \+ 2 samples on a ColumnSlab of 9/);
  });
});
