import { describe, expect, it } from 'vitest';
import {
  classifyBackpressure,
  findBottleneck,
  type InstanceMetrics,
  Job,
  LatencyHistogram,
  rateSource,
  runJob,
  TimeAccounting,
} from '../../src/engine/index.js';
import { VirtualClock } from '../../src/flow/clock.js';

describe('time accounting', () => {
  it('classifies backpressure as Flink does: OK <= 0.10 < LOW <= 0.5 < HIGH', () => {
    expect(classifyBackpressure(0)).toBe('OK');
    expect(classifyBackpressure(0.1)).toBe('OK');
    expect(classifyBackpressure(0.11)).toBe('LOW');
    expect(classifyBackpressure(0.5)).toBe('LOW');
    expect(classifyBackpressure(0.51)).toBe('HIGH');
  });

  it('splits time over slots so busy + idle + backpressured equals elapsed time', async () => {
    const clock = new VirtualClock();
    const acc = new TimeAccounting(clock, 2);
    acc.move('idle', 'busy');
    await clock.advance(100);
    acc.move('idle', 'backpressured');
    await clock.advance(100);
    acc.move('busy', 'idle');
    await clock.advance(200);
    const t = acc.flush();
    expect(t.busyMs).toBe(100); // one of two slots busy for 200 ms
    expect(t.backpressuredMs).toBe(150); // one slot for 300 ms
    expect(t.idleMs).toBe(150);
    expect(t.busyMs + t.idleMs + t.backpressuredMs).toBe(400);
  });

  it('keeps latency quantiles within a few percent in fixed memory', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(i);
    expect(h.count).toBe(10_000);
    expect(h.max).toBe(10_000);
    expect(h.quantile(0.5)).toBeGreaterThan(4800);
    expect(h.quantile(0.5)).toBeLessThan(5300);
    expect(h.quantile(0.99)).toBeGreaterThan(9600);
    expect(h.mean).toBeCloseTo(5000.5, 5);
  });
});

describe('per-instance metrics on a simulated job', () => {
  it('measures busy, idle and backpressured time per second, utilisation, headroom and capacity', async () => {
    const clock = new VirtualClock();
    const job = new Job('load');
    const src = job.source('src', rateSource({ rate: 100, make: (i) => i }));
    // Two instances get 50/s each: at 2 ms and 6 ms an item they are 10% and 30% busy.
    const work = job.operator<number, number>('work', {
      parallelism: 2,
      cost: (_x, i) => (i === 0 ? 2 : 6),
      process: (x, ctx) => ctx.emit(x),
    });
    const sink = job.sink<number>('sink', { write: () => {}, cost: 1 });
    job.connect(src, work).connect(work, sink);
    const run = runJob(job.build(), { clock });
    await clock.advance(10_000);
    const m = run.metrics(5000);
    expect(m.windowMs).toBe(5000);
    const w0 = m.instances.find((i) => i.id === 'work#0')!;
    const w1 = m.instances.find((i) => i.id === 'work#1')!;
    expect(w0.busyTimeMsPerSecond).toBeCloseTo(100, 0);
    expect(w1.busyTimeMsPerSecond).toBeCloseTo(300, 0);
    expect(w1.idleTimeMsPerSecond).toBeCloseTo(700, 0);
    expect(w1.backPressuredTimeMsPerSecond).toBe(0);
    expect(w1.backpressure).toBe('OK');
    expect(w1.utilization).toBeCloseTo(0.3, 2);
    expect(w1.headroom).toBeCloseTo(0.7, 2);
    expect(w1.capacityPerSecond).toBeCloseTo(1000 / 6, 0);
    expect(w1.processed).toBe(250);
    const comp = m.components.find((c) => c.name === 'work')!;
    expect(comp.headroom).toBeCloseTo(0.7, 2); // the minimum of its instances'
    expect(m.headroom).toBeCloseTo(0.7, 2); // sink is 10% busy, sources idle: work#1 is the tightest
    expect(m.bottleneck).toBeUndefined();
    expect(m.backpressure.state).toBe('clear');
    expect(m.sinks.throughput).toBeGreaterThan(99);
    expect(m.sinks.latencyMs.p99).toBeLessThanOrEqual(8);
    await run.stop();
  });

  it('reports queue depth and bytes per instance, and the byte bound holds', async () => {
    const clock = new VirtualClock();
    const job = new Job('bytes');
    const src = job.source('src', {
      ...rateSource({ rate: 200, make: (i) => `item-${i}` }),
      sizeOf: () => 100,
    });
    const sink = job.sink<string>('sink', {
      write: () => {},
      cost: 50,
      queue: { capacity: 1000, maxBytes: 1000 },
    });
    job.connect(src, sink);
    const run = runJob(job.build(), { clock });
    let maxBytes = 0;
    for (let t = 0; t < 3000; t += 10) {
      await clock.advance(10);
      const q = run.metrics().instances.find((i) => i.id === 'sink#0')!.queue!;
      maxBytes = Math.max(maxBytes, q.bytes);
      expect(q.bytes).toBe(q.depth * 100);
    }
    expect(maxBytes).toBe(1000);
    expect(run.metrics().instances.find((i) => i.id === 'sink#0')!.queue!.maxDepth).toBe(10);
    await run.stop();
  });
});

describe('bottleneck finder', () => {
  const m = (id: string, utilization: number, bp: number): InstanceMetrics => ({
    id,
    component: id.split('#')[0],
    kind: 'operator',
    index: 0,
    processed: 1,
    processedTotal: 1,
    busyTimeMsPerSecond: utilization * 1000,
    idleTimeMsPerSecond: (1 - utilization - bp) * 1000,
    backPressuredTimeMsPerSecond: bp * 1000,
    backpressure: classifyBackpressure(bp),
    utilization,
    headroom: 1 - utilization,
    capacityPerSecond: undefined,
    paused: false,
  });

  it('walks downstream from the backpressured instances to the first busy one that is not backpressured', () => {
    const instances = [
      m('src#0', 0, 0.9),
      m('a#0', 0.2, 0.7),
      m('b#0', 0.1, 0),
      m('c#0', 0.95, 0),
      m('d#0', 0.97, 0),
    ];
    // a -> b (idle) -> d ; a -> c (busy). c is reached first in the walk; d is behind an idle hop.
    const down = new Map([
      ['src#0', ['a#0']],
      ['a#0', ['b#0', 'c#0']],
      ['b#0', ['d#0']],
      ['c#0', []],
      ['d#0', []],
    ]);
    const found = findBottleneck(instances, down)!;
    expect(found.instance).toBe('d#0'); // the busiest of the candidates found by the walk
    expect(found.from).toEqual(['src#0', 'a#0']);
  });

  it('names nothing when nothing is backpressured, lossy or saturated', () => {
    expect(findBottleneck([m('a#0', 0.5, 0)], new Map())).toBeUndefined();
  });
});
