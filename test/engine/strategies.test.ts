import { describe, expect, it } from 'vitest';
import { byKey, Job, rateSource, runJob } from '../../src/engine/index.js';
import { VirtualClock } from '../../src/flow/clock.js';
import { drain, instance, pipeline } from './helpers.js';

describe('propagate (blocking queues)', () => {
  it('slows the source to the slow sink rate and keeps every queue within its bound', async () => {
    const { run, clock } = pipeline({
      rate: 100,
      sinkCost: 20,
      queue: { capacity: 20 },
      strategy: 'propagate',
    });
    for (let t = 0; t < 100; t++) {
      await clock.advance(100);
      // Credit never announces more room than there is.
      for (const i of run.metrics().instances) {
        if (i.queue) expect(i.queue.depth + i.queue.credits).toBeLessThanOrEqual(20);
      }
    }
    // Once the queues are full, every sender is waiting for credit.
    const queues = run.metrics().instances.filter((i) => i.queue);
    expect(queues.map((i) => [i.id, i.queue!.credits, i.queue!.waitingSenders])).toEqual([
      ['op#0', 0, 1],
      ['sink#0', 0, 1],
    ]);
    const before = instance(run, 'src#0').processedTotal;
    await clock.advance(10_000);
    // Over the last 10 s the source read at the sink's pace (50/s), not at its own (100/s).
    const read = instance(run, 'src#0').processedTotal - before;
    expect(read).toBeGreaterThanOrEqual(490);
    expect(read).toBeLessThanOrEqual(510);
    const m = run.metrics(5000);
    for (const i of m.instances) if (i.queue) expect(i.queue.maxDepth).toBeLessThanOrEqual(20);
    const src = m.instances.find((i) => i.id === 'src#0')!;
    const sink = m.instances.find((i) => i.id === 'sink#0')!;
    expect(src.backpressure).toBe('HIGH');
    expect(sink.backpressure).toBe('OK');
    expect(sink.utilization).toBeGreaterThan(0.99);
    expect(m.bottleneck?.instance).toBe('sink#0');
    expect(m.dropped).toBe(0);
    // The engine's backpressure state names its causes: the sink's queue first, then the one behind it.
    expect(m.backpressure.state).toBe('declared');
    expect(m.backpressure.causes.map((c) => [c.instance, c.queue])).toEqual([
      ['sink#0', 'sink#0.in'],
      ['op#0', 'op#0.in'],
    ]);
    await drain(run, clock);
    const end = run.metrics(Number.POSITIVE_INFINITY);
    expect(end.sinks.received).toBe(end.sources.read);
  });

  it('propagates through a fan-in: every upstream component of the shared queue is slowed', async () => {
    const clock = new VirtualClock();
    const job = new Job('fan-in');
    const a = job.source('a', rateSource({ rate: 100, make: (i) => i }));
    const b = job.source('b', rateSource({ rate: 100, make: (i) => -i }));
    const merge = job.operator<number, number>('merge', { process: (x, ctx) => ctx.emit(x), cost: 1 });
    const sink = job.sink<number>('sink', { write: () => {}, cost: 10 });
    job.connect(a, merge).connect(b, merge).connect(merge, sink);
    const run = runJob(job.build(), { clock, queue: { capacity: 20 } });
    await clock.advance(10_000);
    const before = [instance(run, 'a#0').processedTotal, instance(run, 'b#0').processedTotal];
    await clock.advance(10_000);
    const rates = [
      instance(run, 'a#0').processedTotal - before[0],
      instance(run, 'b#0').processedTotal - before[1],
    ];
    // Together they get the sink's 100/s; each was slowed from 100/s to about half.
    expect(rates[0] + rates[1]).toBeGreaterThanOrEqual(990);
    expect(rates[0] + rates[1]).toBeLessThanOrEqual(1010);
    for (const r of rates) expect(r).toBeLessThan(600);
    const m = run.metrics(5000);
    expect(m.instances.find((i) => i.id === 'a#0')!.backpressure).toBe('HIGH');
    expect(m.instances.find((i) => i.id === 'b#0')!.backpressure).toBe('HIGH');
    expect(m.instances.find((i) => i.id === 'merge#0')!.backpressure).toBe('HIGH');
    expect(m.bottleneck?.instance).toBe('sink#0');
    await run.stop();
  });
});

describe('stop-sources', () => {
  it('pauses every source at the high watermark and resumes them at the low one', async () => {
    const clock = new VirtualClock();
    const job = new Job('stop');
    const s1 = job.source('s1', rateSource({ rate: 60, make: (i) => i }));
    const s2 = job.source('s2', rateSource({ rate: 60, make: (i) => i }));
    const sink = job.sink<number>('sink', { write: () => {}, cost: 20 });
    job.connect(s1, sink).connect(s2, sink);
    const run = runJob(job.build(), {
      clock,
      strategy: 'stop-sources',
      queue: { capacity: 100, high: 0.8, low: 0.3 },
    });
    const trace: { at: number; reads: number; state: string; paused: boolean[] }[] = [];
    for (let t = 0; t < 15_000; t += 5) {
      await clock.advance(5);
      const m = run.metrics();
      trace.push({
        at: clock.now(),
        reads: m.sources.read,
        state: m.backpressure.state,
        paused: m.instances.filter((i) => i.kind === 'source').map((i) => i.paused),
      });
    }
    const events = run.pressureEvents();
    expect(events.length).toBeGreaterThanOrEqual(4);
    for (const e of events) {
      expect(e.instance).toBe('sink#0');
      if (e.type === 'declared') expect(e.level).toBeGreaterThanOrEqual(0.8);
      else expect(e.level).toBeLessThanOrEqual(0.3);
    }
    // While declared, both sources are paused and read nothing; once relieved they read again.
    const declared = trace.filter((p) => p.state === 'declared');
    expect(declared.length).toBeGreaterThan(0);
    for (const p of declared) expect(p.paused).toEqual([true, true]);
    for (let i = 1; i < trace.length; i++) {
      if (trace[i - 1].state === 'declared' && trace[i].state === 'declared') {
        expect(trace[i].reads).toBe(trace[i - 1].reads);
      }
    }
    const firstRelief = events.find((e) => e.type === 'relieved')!;
    const after = trace.filter((p) => p.at > firstRelief.at && p.at <= firstRelief.at + 100);
    expect(after[after.length - 1].reads).toBeGreaterThan(after[0].reads);
    expect(instance(run, 'sink#0').queue!.maxDepth).toBeLessThanOrEqual(81);
    await run.stop();
  });

  it('reports a permanently slow instance as thrashing, names it, and finds it as the bottleneck', async () => {
    const clock = new VirtualClock();
    const job = new Job('thrash');
    const src = job.source('src', rateSource({ rate: 300, make: (i) => i }));
    const work = job.operator<number, number>('work', {
      parallelism: 3,
      cost: (_x, i) => (i === 1 ? 15 : 1),
      process: (x, ctx) => ctx.emit(x),
    });
    const sink = job.sink<number>('sink', { write: () => {} });
    job.connect(src, work, { grouping: byKey((x) => x) }).connect(work, sink);
    const run = runJob(job.build(), {
      clock,
      strategy: 'stop-sources',
      queue: { capacity: 100 },
      thrashing: { windowMs: 10_000, maxFlips: 4 },
    });
    await clock.advance(20_000);
    const m = run.metrics(10_000);
    const root = m.thrashing.find((t) => t.root)!;
    expect(root.instance).toBe('work#1');
    expect(root.verdict).toBe('thrashing');
    expect(root.flips).toBeGreaterThan(4);
    expect(m.thrashing.filter((t) => t.verdict === 'thrashing').map((t) => t.instance)).toEqual(['work#1']);
    expect(m.bottleneck?.instance).toBe('work#1');
    expect(m.bottleneck?.from).toContain('src#0');
    await run.stop();
  });

  it('keeps only the newest pressure events of a long thrashing run, and still counts every one', async () => {
    const thrash = async (pressureEventsKept?: number) => {
      const { run, clock } = pipeline({
        rate: 100,
        sinkCost: 20,
        queue: { capacity: 100 },
        strategy: 'stop-sources',
        run: pressureEventsKept === undefined ? {} : { pressureEventsKept },
      });
      await clock.advance(20_000);
      return run;
    };
    const whole = await thrash();
    const kept = await thrash(3);
    const all = whole.pressureEvents();
    expect(all.length).toBeGreaterThan(6);
    expect(kept.pressureEvents()).toEqual(all.slice(-3));
    const counted = kept.metrics().backpressure;
    expect(counted.declarations + counted.reliefs).toBe(all.length);
    await whole.stop();
    await kept.stop();
  });
});

describe('stop-upstream', () => {
  it('pauses only the direct upstream first; the sources stop later, when the pause backs up to them', async () => {
    const clock = new VirtualClock();
    const job = new Job('upstream');
    const src = job.source('src', rateSource({ rate: 100, make: (i) => i }));
    const a = job.operator<number, number>('a', { process: (x, ctx) => ctx.emit(x), cost: 1 });
    const b = job.sink<number>('b', { write: () => {}, cost: 20 });
    job.connect(src, a).connect(a, b);
    const run = runJob(job.build(), { clock, strategy: 'stop-upstream', queue: { capacity: 100 } });
    let sawAOnlyPaused = false;
    for (let t = 0; t < 10_000; t += 5) {
      await clock.advance(5);
      const m = run.metrics();
      const paused = Object.fromEntries(m.instances.map((i) => [i.id, i.paused]));
      if (paused['a#0'] && !paused['src#0']) sawAOnlyPaused = true;
      expect(paused['b#0']).toBe(false);
    }
    const events = run.pressureEvents();
    expect(events[0]).toMatchObject({ type: 'declared', instance: 'b#0' });
    expect(sawAOnlyPaused).toBe(true);
    // The source was stopped eventually too: by a's queue filling while a was paused.
    expect(events.some((e) => e.type === 'declared' && e.instance === 'a#0')).toBe(true);
    expect(instance(run, 'src#0').backPressuredTimeMsPerSecond).toBeGreaterThan(100);
    await drain(run, clock);
    const end = run.metrics(Number.POSITIVE_INFINITY);
    expect(end.dropped).toBe(0);
    expect(end.sinks.received).toBe(end.sources.read);
  });
});

describe('drop', () => {
  it('never blocks, and counts exactly what it discarded, per edge and per instance', async () => {
    const { run, clock } = pipeline({ rate: 100, sinkCost: 20, queue: { capacity: 10 }, strategy: 'drop' });
    await clock.advance(10_000);
    const m = run.metrics(Number.POSITIVE_INFINITY);
    expect(m.instances.find((i) => i.id === 'src#0')!.backPressuredTimeMsPerSecond).toBe(0);
    expect(m.sources.read).toBeGreaterThanOrEqual(1000);
    const edge = m.edges.find((e) => e.to === 'sink')!;
    expect(edge.dropped).toBeGreaterThan(400);
    expect(edge.droppedAt['sink#0']).toBe(edge.dropped);
    // Latency stays bounded by the queue in front of the sink, not by a growing backlog.
    expect(m.sinks.latencyMs.max).toBeLessThan(300);
    expect(m.bottleneck?.instance).toBe('sink#0');
    await drain(run, clock);
    const end = run.metrics(Number.POSITIVE_INFINITY);
    expect(end.sinks.received + end.dropped).toBe(end.sources.read);
  });
});

describe('sample', () => {
  it('keeps one in N above the high watermark and counts the rest', async () => {
    const { run, clock } = pipeline({
      rate: 100,
      sinkCost: 20,
      queue: { capacity: 50, high: 0.5, low: 0.2 },
      strategy: 'sample',
      run: { sampleEvery: 5 },
    });
    await clock.advance(10_000);
    const m = run.metrics(Number.POSITIVE_INFINITY);
    const edge = m.edges.find((e) => e.to === 'sink')!;
    expect(edge.sampledOut).toBeGreaterThan(300);
    // Sampling keeps the queue around the high mark instead of full.
    expect(instance(run, 'sink#0').queue!.maxDepth).toBeLessThan(40);
    await drain(run, clock);
    const end = run.metrics(Number.POSITIVE_INFINITY);
    const lostAtSink = end.edges.find((e) => e.to === 'sink')!;
    expect(end.sinks.received + lostAtSink.dropped + lostAtSink.sampledOut).toBe(end.sources.read);
  });
});

describe('per-edge strategies', () => {
  it('applies an edge override on top of the run strategy', async () => {
    const clock = new VirtualClock();
    const job = new Job('mixed');
    const src = job.source('src', rateSource({ rate: 100, make: (i) => i }));
    const fast = job.sink<number>('fast', { write: () => {} });
    const slow = job.sink<number>('slow', { write: () => {}, cost: 20 });
    job.connect(src, fast).connect(src, slow, { strategy: 'drop' });
    const run = runJob(job.build(), { clock, strategy: 'propagate', queue: { capacity: 10 } });
    await clock.advance(5_000);
    const m = run.metrics(Number.POSITIVE_INFINITY);
    // The slow branch drops instead of holding the source back, so the fast branch gets everything.
    expect(m.edges.find((e) => e.to === 'slow')!.strategy).toBe('drop');
    expect(m.edges.find((e) => e.to === 'slow')!.dropped).toBeGreaterThan(200);
    expect(m.instances.find((i) => i.id === 'fast#0')!.processedTotal).toBeGreaterThanOrEqual(500);
    await run.stop();
  });
});

describe('determinism', () => {
  it('replays a simulated run exactly on the virtual clock', async () => {
    const once = async () => {
      const { run, clock } = pipeline({
        rate: 170,
        opCost: 3,
        sinkCost: 7,
        queue: { capacity: 30 },
        strategy: 'stop-sources',
      });
      await clock.advance(7_000);
      const m = run.metrics(Number.POSITIVE_INFINITY);
      await run.stop();
      return JSON.stringify({ m, events: run.pressureEvents() });
    };
    expect(await once()).toBe(await once());
  });
});

describe("temporary and permanent problems (the chapter's two permanent cases and the temporary one)", () => {
  it('rides out a temporary slowdown: declared, relieved for good once the instance recovers, nothing lost', async () => {
    const clock = new VirtualClock();
    const job = new Job('hiccup');
    const src = job.source('src', rateSource({ rate: 100, make: (i) => i }));
    // The sink needs 30 ms an item for the first 3 s (a restart, a slow dependency), then 2 ms.
    const sink = job.sink<number>('sink', { write: () => {}, cost: () => (clock.now() < 3000 ? 30 : 2) });
    job.connect(src, sink);
    const run = runJob(job.build(), {
      clock,
      strategy: 'stop-sources',
      queue: { capacity: 50 },
      thrashing: { windowMs: 5000 },
    });
    await clock.advance(3000);
    expect(run.backpressure().declarations).toBeGreaterThan(0);
    await clock.advance(12_000);
    const m = run.metrics(5000);
    expect(m.backpressure.state).toBe('clear');
    expect(m.thrashing.find((t) => t.instance === 'sink#0')?.verdict).toBe('ok');
    // The backlog left at the source was caught up: it reads at its own rate again.
    expect(m.instances.find((i) => i.id === 'src#0')!.processed).toBeGreaterThanOrEqual(495);
    expect(m.instances.find((i) => i.id === 'src#0')!.backpressure).toBe('OK');
    await drain(run, clock);
    const end = run.metrics(Number.POSITIVE_INFINITY);
    expect(end.sinks.received).toBe(end.sources.read);
    expect(end.sources.read).toBeGreaterThanOrEqual(1500);
  });

  it('calls an instance that stopped working stuck, and names it as the bottleneck', async () => {
    const clock = new VirtualClock();
    const job = new Job('hang');
    const src = job.source('src', rateSource({ rate: 100, make: (i) => i }));
    const op = job.operator<number, number>('op', { process: (x, ctx) => ctx.emit(x), cost: 1 });
    // After 1 s the sink hangs on one item (a dependency that never answers).
    const sink = job.sink<number>('sink', {
      write: () => {},
      cost: () => (clock.now() < 1000 ? 1 : 3_600_000),
    });
    job.connect(src, op).connect(op, sink);
    const run = runJob(job.build(), { clock, queue: { capacity: 20 }, stuckAfterMs: 5000 });
    await clock.advance(15_000);
    const m = run.metrics(5000);
    const sinkVerdict = m.thrashing.find((t) => t.instance === 'sink#0')!;
    expect(sinkVerdict.verdict).toBe('stuck');
    expect(sinkVerdict.root).toBe(true);
    expect(m.bottleneck?.instance).toBe('sink#0');
    expect(m.instances.find((i) => i.id === 'src#0')!.processed).toBe(0);
    await run.stop();
  });
});
