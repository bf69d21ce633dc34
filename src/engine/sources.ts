import { checkNumber } from '../flow/validate.js';
import type { Arrival, InstanceInfo, SourceSpec } from './types.js';

export interface RateSourceOptions<O> {
  /** Events per second arriving at each instance (in the outside world, e.g. a Kafka partition). */
  rate: number;
  /** Builds event `seq` (0, 1, 2, ... per instance) that arrived at time `at`. */
  make: (seq: number, info: InstanceInfo, at: number) => O;
  parallelism?: number;
  /** Stop after this many events per instance. Default: never. */
  count?: number;
  sizeOf?: (item: O) => number;
}

/**
 * A source whose events arrive at a fixed rate whether or not the job keeps up: event `n` arrives at
 * `start + n / rate`. The engine reads an event only when it can send it, so a job that falls behind
 * leaves a backlog outside the engine, and the event's latency counts from its arrival, not from the
 * moment it was finally read.
 */
export function rateSource<O>(options: RateSourceOptions<O>): SourceSpec<O> {
  checkNumber('rateSource: rate (events per second)', options.rate, { positive: true });
  if (options.count !== undefined) checkNumber('rateSource: count', options.count, { integer: true, min: 0 });
  const interval = 1000 / options.rate;
  return {
    parallelism: options.parallelism,
    sizeOf: options.sizeOf,
    async *read(info, signal): AsyncIterable<Arrival<O>> {
      const start = info.clock.now();
      const count = options.count ?? Number.POSITIVE_INFINITY;
      for (let seq = 0; seq < count; seq++) {
        const due = start + seq * interval;
        const wait = due - info.clock.now();
        if (wait > 0) await info.clock.sleep(wait, signal);
        yield { value: options.make(seq, info, due), at: due };
      }
    },
  };
}

/** A source that reads an in-memory list (or any iterable) as fast as the job takes it. */
export function iterableSource<O>(
  items: (info: InstanceInfo) => Iterable<O>,
  parallelism?: number,
): SourceSpec<O> {
  return {
    parallelism,
    read(info): Iterable<Arrival<O>> {
      // The engine copies what it needs out of each arrival before it asks for the next one, so one
      // arrival and one iterator result serve every item: a generator would allocate both per item.
      return {
        [Symbol.iterator]() {
          const inner = items(info)[Symbol.iterator]();
          const arrival: Arrival<O> = { value: undefined as O };
          const step = { done: false as const, value: arrival };
          return {
            next(): IteratorResult<Arrival<O>> {
              const r = inner.next();
              if (r.done) return { done: true, value: undefined };
              arrival.value = r.value;
              return step;
            },
            return(): IteratorResult<Arrival<O>> {
              inner.return?.();
              return { done: true, value: undefined };
            },
          };
        },
      };
    },
  };
}
