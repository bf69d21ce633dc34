import { describe, expect, it } from 'vitest';
import { Channel, ThrashingDetector, VirtualClock, Watermarks } from '../../src/flow/index.js';

/**
 * A source stopped at the high watermark and resumed at the low one, feeding a consumer that is too
 * slow (the book's permanent case), or one that was slow only for a while (the temporary case).
 */
async function stopAndResume(opts: {
  produceEveryMs: number;
  consumeEveryMs: (t: number) => number;
  seconds: number;
}) {
  const clock = new VirtualClock();
  const queue = new Channel<number>({ capacity: 1000, clock });
  const wm = new Watermarks({ high: 100, low: 20, declareAfter: 2, clock });
  const detector = new ThrashingDetector({ windowMs: 10_000, maxFlips: 4, clock });
  detector.watch(wm);
  const verdicts: boolean[] = [];
  detector.onChange((r) => verdicts.push(r.thrashing));
  const end = opts.seconds * 1000;
  const sample = clock.setInterval(() => wm.update(queue.depth), 100);
  const source = clock.setInterval(() => {
    if (!wm.inPressure) queue.trySend(clock.now());
  }, opts.produceEveryMs);
  const sink = (async () => {
    while (clock.now() < end) {
      if (queue.tryReceive() === undefined) await clock.sleep(1);
      else await clock.sleep(opts.consumeEveryMs(clock.now()));
    }
  })();
  await clock.advance(end);
  sample.cancel();
  source.cancel();
  await clock.runUntilIdle();
  await sink;
  return { detector, wm, verdicts, clock };
}

describe('ThrashingDetector', () => {
  it('flags declare/relieve cycling with its evidence', async () => {
    const { detector, verdicts } = await stopAndResume({
      produceEveryMs: 1,
      consumeEveryMs: () => 5,
      seconds: 10,
    });
    const report = detector.evaluate();
    expect(report.thrashing).toBe(true);
    expect(verdicts[0]).toBe(true);
    expect(report.flips).toBeGreaterThan(4);
    expect(report.cycles).toBeGreaterThanOrEqual(2);
    expect(report.evidence[0].at).toBeGreaterThan(0);
    expect(report.evidence.map((f) => f.transition).slice(0, 2)).toEqual(['declared', 'relieved']);
    expect(report.meanCycleMs).toBeGreaterThan(0);
    expect(report.summary).toMatch(/^thrashing: backpressure flipped \d+ times in 10 s/);
  });

  it('does not call a steady overload thrashing: it stays declared', () => {
    const clock = new VirtualClock();
    const wm = new Watermarks({ high: 100, low: 20, clock });
    const detector = new ThrashingDetector({ windowMs: 10_000, maxFlips: 4, clock });
    detector.watch(wm);
    // The consumer stopped working: the queue climbs and never drains.
    for (let t = 0; t < 60_000; t += 100) wm.update(Math.min(1000, t / 10), t);
    expect(wm.inPressure).toBe(true);
    const report = detector.evaluate(60_000);
    expect(report.thrashing).toBe(false);
    expect(report.flips).toBe(0); // the single declaration slid out of the window long ago
    expect(detector.thrashing).toBe(false);
  });

  it('does not call one burst thrashing, and clears the verdict once flips slide out of the window', () => {
    const clock = new VirtualClock();
    const detector = new ThrashingDetector({ windowMs: 1000, maxFlips: 2, clock });
    const changes: boolean[] = [];
    detector.onChange((r) => changes.push(r.thrashing));
    expect(detector.record('declared', 0).thrashing).toBe(false);
    expect(detector.record('relieved', 300).thrashing).toBe(false);
    expect(detector.record('declared', 600).thrashing).toBe(true);
    expect(detector.evaluate(999).thrashing).toBe(true);
    expect(detector.evaluate(1200).thrashing).toBe(false); // the flip at 0 slid out
    expect(changes).toEqual([true, false]);
  });

  it('a consumer that recovers stops the thrashing', async () => {
    const { detector } = await stopAndResume({
      produceEveryMs: 2,
      consumeEveryMs: (t) => (t < 10_000 ? 5 : 1), // slow for 10 s, then faster than the source
      seconds: 30,
    });
    expect(detector.evaluate().thrashing).toBe(false);
  });

  it('samples a gauge itself, JStorm style: 4 readings over 80% declare, 4 under 5% relieve', () => {
    const clock = new VirtualClock();
    const detector = new ThrashingDetector({
      windowMs: 60_000,
      maxFlips: 4,
      clock,
      marks: { high: 800, low: 50, declareAfter: 4, relieveAfter: 4 },
    });
    // A queue of 1000 that fills in 1 s, stays full 1 s, drains in 1 s and sits empty 2 s, over and over.
    let report = detector.evaluate();
    for (let t = 0; t <= 60_000; t += 250) {
      const phase = t % 5000;
      const level = phase < 1000 ? phase : phase < 2000 ? 1000 : phase < 3000 ? 3000 - phase : 0;
      report = detector.sample(level, t);
    }
    expect(report.thrashing).toBe(true);
    expect(detector.watermarks!.declaredCount).toBe(12);
    // Three readings over the mark are not enough to declare.
    const strict = new ThrashingDetector({
      windowMs: 1000,
      clock,
      marks: { high: 10, low: 1, declareAfter: 4 },
    });
    for (const level of [20, 20, 20, 0]) strict.sample(level);
    expect(strict.watermarks!.inPressure).toBe(false);
    expect(() => new ThrashingDetector({ windowMs: 1000 }).sample(5)).toThrow(/needs the marks option/);
  });
});
