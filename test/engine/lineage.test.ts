import { describe, expect, it } from 'vitest';
import { type Arrival, Job, runJob, type Strategy, toAll } from '../../src/engine/index.js';
import { VirtualClock } from '../../src/flow/clock.js';

/**
 * source (receipts) -> fan-out to two operators -> join-like sink. A receipt may settle only when every
 * copy derived from its item was written or discarded by a strategy.
 */
function fanOutJob(strategy: Strategy, count: number, sinkCost: number) {
  const clock = new VirtualClock();
  const settled: number[] = [];
  const written = new Map<number, number>();
  const job = new Job('lineage');
  const src = job.source<number>('src', {
    async *read(info) {
      for (let i = 0; i < count; i++) {
        await info.clock.sleep(1);
        const item: Arrival<number> = { value: i, receipt: { settle: () => settled.push(i) } };
        yield item;
      }
    },
  });
  const double = job.operator<number, number>('double', { process: (x, ctx) => ctx.emit(x) });
  const triple = job.operator<number, number>('triple', {
    process: (x, ctx) => {
      ctx.emit(x);
      ctx.emit(x);
    },
  });
  const sink = job.sink<number>('sink', {
    cost: sinkCost,
    queue: { capacity: 4 },
    write: (x) => void written.set(x, (written.get(x) ?? 0) + 1),
  });
  job.connect(src, double, { grouping: toAll() }).connect(src, triple, { grouping: toAll() });
  job.connect(double, sink).connect(triple, sink);
  const run = runJob(job.build(), { clock, strategy });
  return { run, clock, settled, written };
}

describe('lineage: a source item is settled once everything derived from it is handled', () => {
  it('settles an item only after all three of its results were written (propagate)', async () => {
    const { run, clock, settled, written } = fanOutJob('propagate', 50, 2);
    for (let t = 0; t < 400; t += 10) {
      await clock.advance(10);
      // Every settled item has all three of its copies written at the moment it settles.
      for (const i of settled) expect(written.get(i)).toBe(3);
    }
    await run.stop({ drain: true, drainStepMs: 10 });
    expect(settled.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('counts copies discarded by drop as handled: every item settles, some with fewer than three writes', async () => {
    const { run, clock, settled, written } = fanOutJob('drop', 200, 5);
    await clock.advance(250);
    await run.stop({ drain: true, drainStepMs: 10 });
    const metrics = run.metrics(Number.POSITIVE_INFINITY);
    expect(metrics.dropped).toBeGreaterThan(0);
    expect(new Set(settled).size).toBe(200);
    const writes = [...written.values()].reduce((s, n) => s + n, 0);
    expect(writes + metrics.dropped).toBe(600);
  });

  it('never settles items still in flight when the run halts', async () => {
    const { run, clock, settled, written } = fanOutJob('propagate', 100, 20);
    await clock.advance(200);
    await run.stop();
    for (const i of settled) expect(written.get(i)).toBe(3);
    expect(settled.length).toBeLessThan(100);
  });
});
