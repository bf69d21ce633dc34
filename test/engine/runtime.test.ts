import { describe, expect, it } from 'vitest';
import {
  byKey,
  type Grouping,
  iterableSource,
  Job,
  rateSource,
  runJob,
  shuffle,
  toAll,
  toGlobal,
  workerOperator,
} from '../../src/engine/index.js';
import { RealClock, VirtualClock } from '../../src/flow/clock.js';

function groupingJob(grouping: Grouping<number>) {
  const seen: [number, number][] = [];
  const job = new Job('grouping');
  const src = job.source(
    'src',
    iterableSource(() => Array.from({ length: 100 }, (_, i) => i)),
  );
  const sink = job.sink<number>('sink', {
    parallelism: 4,
    create: (info) => ({ write: (x) => void seen.push([info.index, x]) }),
  });
  job.connect(src, sink, { grouping });
  return { graph: job.build(), seen };
}

describe('groupings', () => {
  it('shuffle spreads round-robin, key pins a key to one instance, all copies, global uses instance 0', async () => {
    const clock = new VirtualClock();
    const cases = {
      shuffle: groupingJob(shuffle()),
      key: groupingJob(byKey<number>((x) => `k${x % 10}`)),
      all: groupingJob(toAll()),
      global: groupingJob(toGlobal()),
    };
    for (const c of Object.values(cases)) await runJob(c.graph, { clock }).done;

    const perInstance = (seen: [number, number][]) =>
      [0, 1, 2, 3].map((i) => seen.filter(([j]) => j === i).length);
    expect(perInstance(cases.shuffle.seen)).toEqual([25, 25, 25, 25]);
    const keyHome = new Map<number, Set<number>>();
    for (const [i, x] of cases.key.seen) {
      if (!keyHome.has(x % 10)) keyHome.set(x % 10, new Set());
      keyHome.get(x % 10)!.add(i);
    }
    expect([...keyHome.values()].every((s) => s.size === 1)).toBe(true);
    expect(new Set([...keyHome.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);
    expect(perInstance(cases.all.seen)).toEqual([100, 100, 100, 100]);
    expect(perInstance(cases.global.seen)).toEqual([100, 0, 0, 0]);
  });
});

describe('envelopes between instances', () => {
  it('gives every receiver of a broadcast its own item, though an operator passes its input envelope on', async () => {
    // Two instances of `tag` receive the same source items (toAll) and each re-emits its own value in
    // the envelope it took: were that envelope shared, one instance would see the other's output.
    const got: number[] = [];
    const job = new Job('broadcast');
    const src = job.source(
      'src',
      iterableSource(() => Array.from({ length: 200 }, (_, i) => i)),
    );
    const tag = job.operator<number, number>('tag', {
      parallelism: 2,
      create: (info) => ({ process: (x, ctx) => ctx.emit(x * 1000 + info.index) }),
    });
    const sink = job.sink<number>('sink', { write: (x) => void got.push(x) });
    job.connect(src, tag, { grouping: toAll() }).connect(tag, sink);
    await runJob(job.build(), { clock: new VirtualClock(), queue: { capacity: 8 } }).done;
    const expected = Array.from({ length: 200 }, (_, i) => [i * 1000, i * 1000 + 1]).flat();
    expect(got.sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
  });
});

describe('items moved in groups between single-slot instances', () => {
  it('keeps every item, in order, when the receiving queue is smaller than a group', async () => {
    // Capacity 3 < the 32 items an instance stages: most groups only partly fit and the rest waits.
    const got: number[] = [];
    const job = new Job('order');
    const src = job.source(
      'src',
      iterableSource(() => Array.from({ length: 1000 }, (_, i) => i)),
    );
    const inc = job.operator<number, number>('inc', { process: (x, ctx) => ctx.emit(x + 1) });
    const sink = job.sink<number>('sink', { write: (x) => void got.push(x) });
    job.connect(src, inc).connect(inc, sink);
    await runJob(job.build(), { clock: new VirtualClock(), queue: { capacity: 3 } }).done;
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });
});

describe('run lifecycle', () => {
  it('drains on a VirtualClock without the caller advancing it: stop moves time until the sinks have everything', async () => {
    const clock = new VirtualClock();
    const job = new Job('drain');
    const src = job.source('src', rateSource({ rate: 1000, make: (i) => i }));
    const slow = job.sink<number>('slow', { write: () => {}, cost: 5 }); // 200/s: a backlog builds
    job.connect(src, slow);
    const run = runJob(job.build(), { clock, queue: { capacity: 100 } });
    await clock.advance(1000);
    const before = run.metrics(Number.POSITIVE_INFINITY);
    expect(before.sources.read).toBeGreaterThan(before.sinks.received); // something is queued
    await run.stop({ drain: true });
    const after = run.metrics(Number.POSITIVE_INFINITY);
    expect(after.sinks.received).toBe(after.sources.read);
    expect(clock.now()).toBeGreaterThan(1000);
  });

  it('finishes when finite sources are exhausted and everything has drained', async () => {
    const clock = new VirtualClock();
    const got: number[] = [];
    const job = new Job('finite');
    const src = job.source('src', rateSource({ rate: 1000, count: 50, make: (i) => i, parallelism: 2 }));
    const double = job.operator<number, number>('double', {
      parallelism: 3,
      concurrency: 2,
      process: async (x, ctx) => {
        await clock.sleep(3);
        ctx.emit(x * 2);
      },
    });
    const sink = job.sink<number>('sink', { write: (x) => void got.push(x) });
    job.connect(src, double).connect(double, sink);
    const run = runJob(job.build(), { clock });
    let finished = false;
    run.done.then(() => {
      finished = true;
    });
    await clock.advance(1000);
    expect(finished).toBe(true);
    expect(got).toHaveLength(100);
    expect(got.reduce((a, b) => a + b, 0)).toBe((2 * 2 * (49 * 50)) / 2);
    expect(run.metrics(Number.POSITIVE_INFINITY).sinks.received).toBe(100);
  });

  it('runs async operators concurrently within an instance, up to its concurrency', async () => {
    const clock = new VirtualClock();
    let inFlight = 0;
    let most = 0;
    const job = new Job('async');
    const src = job.source(
      'src',
      iterableSource(() => Array.from({ length: 40 }, (_, i) => i)),
    );
    const io = job.operator<number, number>('io', {
      concurrency: 4,
      process: async (x, ctx) => {
        most = Math.max(most, ++inFlight);
        await clock.sleep(10); // a simulated I/O call
        inFlight--;
        ctx.emit(x);
      },
    });
    const sink = job.sink<number>('sink', { write: () => {} });
    job.connect(src, io).connect(io, sink);
    const run = runJob(job.build(), { clock });
    await clock.advance(100);
    // 40 calls of 10 ms, four at a time: done in 100 ms instead of 400.
    expect(most).toBe(4);
    expect(run.metrics(Number.POSITIVE_INFINITY).sinks.received).toBe(40);
    expect(run.metrics(100).instances.find((i) => i.id === 'io#0')!.busyTimeMsPerSecond).toBeCloseTo(1000, 0);
    await run.done;
  });

  it('fails the run with the failing instance named', async () => {
    const clock = new VirtualClock();
    const job = new Job('failing');
    const src = job.source(
      'src',
      iterableSource(() => [1, 2, 3]),
    );
    const bad = job.operator<number, number>('bad', {
      process: (x) => {
        if (x === 2) throw new Error('cannot handle 2');
      },
    });
    const sink = job.sink<number>('sink', { write: () => {} });
    job.connect(src, bad).connect(bad, sink);
    const run = runJob(job.build(), { clock });
    await expect(run.done).rejects.toThrow('instance bad#0 failed: cannot handle 2');
  });

  it('rejects unknown strategies and bad sampling settings at start', () => {
    const job = new Job('j');
    job.connect(
      job.source(
        's',
        iterableSource(() => [1]),
      ),
      job.sink<number>('k', { write: () => {} }),
    );
    const graph = job.build();
    expect(() => runJob(graph, { strategy: 'nope' as never })).toThrow(/unknown strategy 'nope'; use one of/);
    expect(() => runJob(graph, { sampleEvery: 0 })).toThrow(
      /sampleEvery \(keep one item in that many\) must be a whole number >= 1 \(got 0\)/,
    );
    expect(() => runJob(graph, { pressureEventsKept: 0 })).toThrow(
      /pressureEventsKept must be a whole number >= 1/,
    );
  });
});

describe('worker threads', () => {
  it('runs a CPU-heavy operator in worker threads on the real clock', async () => {
    const job = new Job('cpu');
    const src = job.source(
      'src',
      iterableSource(() => Array.from({ length: 200 }, (_, i) => i)),
    );
    const heavy = job.operator(
      'heavy',
      workerOperator<number, { n: number; tid: number }>({
        parallelism: 2,
        fn: (n: number) => {
          // Burn a little CPU, and report which thread did it.
          let x = 0;
          for (let i = 0; i < 20_000; i++) x += Math.sqrt(i + n);
          return { n: x > 0 ? n : -1, tid: require('node:worker_threads').threadId };
        },
      }),
    );
    const fromModule = job.operator(
      'square',
      workerOperator<number, number>({
        module: new URL('./fixtures/square.mjs', import.meta.url),
        exportName: 'square',
      }),
    );
    const results: number[] = [];
    const threads = new Set<number>();
    const mid = job.operator<{ n: number; tid: number }, number>('spy', {
      process: (r, ctx) => {
        threads.add(r.tid);
        ctx.emit(r.n);
      },
    });
    const sink = job.sink<number>('sink', { write: (x) => void results.push(x) });
    job.connect(src, heavy).connect(heavy, mid).connect(mid, fromModule).connect(fromModule, sink);
    const run = runJob(job.build(), { clock: new RealClock() });
    await run.done;
    expect(results.sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i * i).sort((a, b) => a - b),
    );
    expect(threads.size).toBe(2);
    expect([...threads].every((t) => t > 0)).toBe(true); // not the main thread (threadId 0)
  });
});

describe('live runs on the real clock', () => {
  it('runs the same simulated job live: stop-sources declares, pauses and loses nothing', async () => {
    const clock = new RealClock();
    const job = new Job('live');
    const src = job.source('src', rateSource({ rate: 400, make: (i) => i }));
    const sink = job.sink<number>('sink', { write: () => {}, cost: 10 });
    job.connect(src, sink);
    const run = runJob(job.build(), {
      clock,
      strategy: 'stop-sources',
      queue: { capacity: 20 },
      sampleIntervalMs: 100,
    });
    await clock.sleep(1000);
    await run.stop({ drain: true });
    const m = run.metrics(Number.POSITIVE_INFINITY);
    expect(run.pressureEvents().some((e) => e.type === 'declared' && e.instance === 'sink#0')).toBe(true);
    expect(m.instances.find((i) => i.id === 'sink#0')!.queue!.maxDepth).toBeLessThanOrEqual(20);
    expect(m.sinks.received).toBe(m.sources.read);
    expect(m.dropped).toBe(0);
    expect(run.samples('sink#0').length).toBeGreaterThan(3);
  });
});
