import { describe, expect, it } from 'vitest';
import { Channel, VirtualClock, type WatermarkEvent, Watermarks } from '../../src/flow/index.js';

describe('Watermarks', () => {
  it('declares at the high mark, holds between the marks, relieves at the low mark', () => {
    const clock = new VirtualClock();
    const wm = new Watermarks({ high: 80, low: 20, clock });
    const seen: WatermarkEvent[] = [];
    wm.onChange((e) => seen.push(e));
    const step = (level: number) => {
      return wm.update(level, clock.now());
    };
    expect(step(50)).toBeUndefined();
    expect(step(79)).toBeUndefined();
    expect(wm.inPressure).toBe(false);
    expect(step(80)).toBe('declared');
    expect(wm.inPressure).toBe(true);
    // Wandering between the marks changes nothing, in either state.
    for (const level of [60, 40, 21, 79, 30]) expect(step(level)).toBeUndefined();
    expect(wm.inPressure).toBe(true);
    expect(step(20)).toBe('relieved');
    for (const level of [21, 50, 79]) expect(step(level)).toBeUndefined();
    expect(wm.inPressure).toBe(false);
    expect(seen.map((e) => e.transition)).toEqual(['declared', 'relieved']);
  });

  it('measures how long pressure lasted, the last episode and the total', () => {
    const wm = new Watermarks({ high: 10, low: 2, clock: new VirtualClock() });
    wm.update(10, 1000);
    expect(wm.totalPressureMs(1500)).toBe(500);
    const relieved = wm.onChange((e) => expect(e.previousStateMs).toBe(3000));
    wm.update(2, 4000);
    relieved();
    expect(wm.lastPressureMs).toBe(3000);
    wm.update(12, 5000);
    wm.update(0, 6000);
    expect(wm.lastPressureMs).toBe(1000);
    expect(wm.totalPressureMs(9000)).toBe(4000);
    expect(wm.declaredCount).toBe(2);
    expect(wm.since).toBe(6000);
  });

  it('can require several consecutive readings over the high mark (one spike does not declare)', () => {
    const wm = new Watermarks({ high: 100, low: 50, declareAfter: 3, clock: new VirtualClock() });
    expect(wm.update(150)).toBeUndefined();
    expect(wm.update(150)).toBeUndefined();
    expect(wm.update(90)).toBeUndefined(); // streak broken
    expect(wm.update(150)).toBeUndefined();
    expect(wm.update(150)).toBeUndefined();
    expect(wm.update(150)).toBe('declared');
  });

  it('rejects marks the wrong way round', () => {
    expect(() => new Watermarks({ high: 10, low: 20 })).toThrow(/low \(20\) must not be above high \(10\)/);
    expect(() => new Watermarks({ high: Number.NaN, low: 1 })).toThrow(/must be a number/);
  });

  it('a channel drives its watermarks on every change, without polling', async () => {
    const clock = new VirtualClock();
    const wm = new Watermarks({ high: 8, low: 2, clock });
    const ch = new Channel<number>({ capacity: 10, watermarks: wm, clock });
    const seen: string[] = [];
    ch.pressure!.onChange((e) => seen.push(`${e.transition}@${e.level}`));
    for (let i = 0; i < 7; i++) ch.trySend(i);
    expect(wm.inPressure).toBe(false);
    ch.trySend(7);
    expect(seen).toEqual(['declared@8']);
    for (let i = 0; i < 5; i++) ch.tryReceive();
    expect(wm.inPressure).toBe(true); // 3 left: between the marks
    await ch.receive();
    expect(seen).toEqual(['declared@8', 'relieved@2']);
  });

  it('can watch bytes instead of items', () => {
    const wm = new Watermarks({ high: 100, low: 10 });
    const ch = new Channel<string>({
      capacity: 100,
      sizeOf: (s) => s.length,
      watermarks: wm,
      watermarkGauge: 'bytes',
    });
    ch.trySend('x'.repeat(60));
    expect(wm.inPressure).toBe(false);
    ch.trySend('y'.repeat(40));
    expect(wm.inPressure).toBe(true);
    expect(() => new Channel({ capacity: 1, watermarks: wm, watermarkGauge: 'bytes' })).toThrow(
      /needs sizeOf/,
    );
  });
});
