import { describe, expect, it } from 'vitest';
import { GraphError, iterableSource, Job, rateSource } from '../../src/engine/index.js';

const numbers = () => iterableSource(() => [1, 2, 3]);

function problemsOf(build: () => unknown): string[] {
  try {
    build();
  } catch (err) {
    expect(err).toBeInstanceOf(GraphError);
    return (err as GraphError).problems;
  }
  throw new Error('expected the job to be rejected');
}

describe('job graph validation', () => {
  it('builds a valid job in topological order', () => {
    const job = new Job('ok');
    const sink = job.sink<string>('sink', { write: () => {} });
    const op = job.operator<number, string>('op', { process: (n, ctx) => ctx.emit(String(n)) });
    const src = job.source('src', numbers());
    job.connect(src, op).connect(op, sink);
    const graph = job.build();
    expect(graph.components.map((c) => c.name)).toEqual(['src', 'op', 'sink']);
    expect(graph.edges).toHaveLength(2);
  });

  it('rejects duplicate names', () => {
    const job = new Job('dup');
    const src = job.source('a', numbers());
    const sink = job.sink<number>('a', { write: () => {} });
    job.connect(src, sink);
    expect(problemsOf(() => job.build())).toContain("component name 'a' is used twice; names must be unique");
  });

  it('rejects a cycle and names it', () => {
    const job = new Job('cyclic');
    const src = job.source('src', numbers());
    const a = job.operator<number, number>('a', { process: (n, ctx) => ctx.emit(n) });
    const b = job.operator<number, number>('b', { process: (n, ctx) => ctx.emit(n) });
    const sink = job.sink<number>('sink', { write: () => {} });
    job.connect(src, a).connect(a, b).connect(b, a).connect(b, sink);
    const problems = problemsOf(() => job.build());
    expect(problems.some((p) => p.startsWith('the graph has a cycle: a -> b -> a'))).toBe(true);
  });

  it('rejects unconnected inputs and outputs, and reports every problem at once', () => {
    const job = new Job('loose');
    job.source('src', numbers());
    job.operator<number, number>('lonely', { process: () => {} });
    job.sink<number>('sink', { write: () => {} });
    const problems = problemsOf(() => job.build());
    expect(problems).toEqual(
      expect.arrayContaining([
        "operator 'lonely' has no input; connect something to it",
        "sink 'sink' has no input; connect something to it",
        "source 'src' has an output that goes nowhere; connect it to an operator or a sink",
        "operator 'lonely' has an output that goes nowhere; connect it to an operator or a sink",
      ]),
    );
    expect(() => job.build()).toThrow(/job 'loose' is not valid:\n {2}- /);
  });

  it('rejects bad parallelism, watermarks, strategies and missing sources or sinks', () => {
    const job = new Job('bad');
    const src = job.source('src', { ...numbers(), parallelism: 0 });
    const op = job.operator<number, number>('op', {
      process: () => {},
      queue: { capacity: 10, high: 0.3, low: 0.5 },
    });
    job.connect(src, op, { strategy: 'yolo' as never });
    const problems = problemsOf(() => job.build());
    expect(problems).toEqual(
      expect.arrayContaining([
        "'src' parallelism must be a whole number >= 1 (got 0)",
        "'op' low watermark 0.5; use a fraction >= 0 below high (0.3)",
        "edge src -> op: unknown strategy 'yolo'; use one of propagate, stop-sources, stop-upstream, drop, sample",
        'the job has no sink',
      ]),
    );
    expect(problemsOf(() => new Job('empty').build())).toContain(
      'the job has no components; add a source, operators and a sink',
    );
  });

  it('words bad queue sizes, watermarks and source rates as every number refusal is worded', () => {
    const job = new Job('queues');
    const src = job.source('src', numbers());
    const op = job.operator<number, number>('op', {
      process: () => {},
      queue: { capacity: 0, maxBytes: 2.5, high: 1.5 },
    });
    job.connect(src, op);
    expect(problemsOf(() => job.build())).toEqual(
      expect.arrayContaining([
        "'op' queue capacity must be a whole number >= 1 (got 0)",
        "'op' queue maxBytes must be a whole number >= 1 (got 2.5)",
        "'op' high watermark must be a number above 0, at most 1 (got 1.5)",
      ]),
    );
    expect(() => rateSource({ rate: 0, make: (i) => i })).toThrow(
      'rateSource: rate (events per second) must be a number above 0 (got 0)',
    );
    expect(() => rateSource({ rate: 10, count: -1, make: (i) => i })).toThrow(
      'rateSource: count must be a whole number >= 0 (got -1)',
    );
  });

  it('rejects an operator without processing and a repeated edge', () => {
    const job = new Job('twice');
    const src = job.source('src', numbers());
    const sink = job.sink<number>('sink', {});
    job.connect(src, sink).connect(src, sink);
    const problems = problemsOf(() => job.build());
    expect(problems).toContain("sink 'sink' has neither 'write' nor 'create'; give one of them");
    expect(problems).toContain('edge src -> sink is declared twice');
  });

  it('checks that edge types line up at compile time', () => {
    const job = new Job('types');
    const src = job.source('src', numbers());
    const strings = job.sink<string>('strings', { write: () => {} });
    // @ts-expect-error a source of numbers cannot feed a sink of strings
    job.connect(src, strings);
    const fromSink = job.sink<number>('numbers', { write: () => {} });
    // @ts-expect-error a sink has no output to connect
    job.connect(fromSink, strings);
    // JavaScript callers get no compile-time check: the sink-to-sink edge must still be refused at build.
    expect(problemsOf(() => job.build())).toContain(
      "edge numbers -> strings: 'numbers' is a sink and has no output",
    );
  });
});
