import type { Clock } from '../flow/clock.js';

/**
 * How an edge reacts when the queue in front of a receiving instance fills up (the book chapter's
 * engine strategies):
 * - `propagate`: blocking transfer; the sender waits for credit, so pressure travels upstream through
 *   every fan-in until it reaches the sources.
 * - `stop-sources`: declare backpressure when the queue crosses its high watermark and pause every
 *   source of the job; resume them when that queue falls below its low watermark.
 * - `stop-upstream`: the same watermarks, but pause only the instances that feed that queue.
 * - `drop`: never wait; an item that finds the queue full is discarded and counted (at-most-once).
 * - `sample`: above the high watermark keep one item in `sampleEvery`, discard the rest (counted);
 *   at a full queue discard everything.
 */
export const STRATEGIES = ['propagate', 'stop-sources', 'stop-upstream', 'drop', 'sample'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** How a component's output is spread over the instances of the next component. */
export type Grouping<T> =
  | { readonly kind: 'shuffle' }
  | { readonly kind: 'key'; readonly key: (item: T) => string | number }
  | { readonly kind: 'all' }
  | { readonly kind: 'global' };

/** Round-robin over the receiving instances (deterministic, so simulations replay exactly). */
export const shuffle = <T>(): Grouping<T> => ({ kind: 'shuffle' });
/** Fields grouping: items with the same key always reach the same instance. */
export const byKey = <T>(key: (item: T) => string | number): Grouping<T> => ({ kind: 'key', key });
/** Every receiving instance gets a copy. */
export const toAll = <T>(): Grouping<T> => ({ kind: 'all' });
/** Everything goes to instance 0. */
export const toGlobal = <T>(): Grouping<T> => ({ kind: 'global' });

/** Bounds of the queue in front of each instance of a component, and its backpressure watermarks. */
export interface QueueSpec {
  /** Maximum number of items queued in front of one instance. */
  capacity?: number;
  /** Maximum estimated bytes queued in front of one instance. */
  maxBytes?: number;
  /** Fill level (0..1 of the tighter bound) at which backpressure is declared. */
  high?: number;
  /** Fill level (0..1) under which a declared backpressure is relieved. */
  low?: number;
}

/** Who an instance is, handed to user code that keeps per-instance state. */
export interface InstanceInfo {
  readonly component: string;
  readonly index: number;
  readonly parallelism: number;
  /** `component#index`, the name used in metrics, causes and reports. */
  readonly id: string;
  readonly clock: Clock;
}

/** One item produced by a source, with the time it arrived in the outside world (for latency). */
export interface Arrival<T> {
  value: T;
  /** When the event came into existence; defaults to the moment the source read it. */
  at?: number;
  /**
   * Settled once everything derived from this item is finished: written by the sinks (a sink's `write`
   * resolved) or dropped/sampled out by a strategy (counted). A Kafka source commits an offset only
   * after this. Not settled for items still in flight when the run halts or an instance fails.
   */
  receipt?: Receipt;
}

/** A source's handle on one item, settled by the engine when the item is fully handled. */
export interface Receipt {
  settle(): void;
}

export interface SourceSpec<O> {
  parallelism?: number;
  /**
   * The items of one source instance. The engine pulls the next item only when it may send it (it
   * holds credit and the source is not paused), so a slow job leaves the backlog outside the engine,
   * the way a Kafka source leaves lag in the broker. The engine is done with an arrival before it asks
   * for the next, so a source may hand out the same arrival object again with new contents.
   */
  read(info: InstanceInfo, signal: AbortSignal): AsyncIterable<Arrival<O>> | Iterable<Arrival<O>>;
  /** Estimated bytes of an output item (for byte-bounded queues); default: a shallow estimate. */
  sizeOf?: (item: O) => number;
}

export interface OperatorContext<O> {
  readonly info: InstanceInfo;
  /** Queues an output; it is delivered (waiting for credit if needed) once `process` returns. */
  emit(item: O): void;
  /** The clock's time (virtual in simulations). */
  now(): number;
}

export type ProcessFn<I, O> = (item: I, ctx: OperatorContext<O>) => void | Promise<void>;

/** What an operator instance runs; `close` is called once when the instance finishes. */
export interface Processor<I, O> {
  process: ProcessFn<I, O>;
  close?: () => void | Promise<void>;
}

export interface OperatorSpec<I, O> {
  parallelism?: number;
  /** Stateless processing shared by all instances. Give `process` or `create`. */
  process?: ProcessFn<I, O>;
  /** Per-instance processing with its own state (windows, connections, a worker thread). */
  create?: (info: InstanceInfo) => Processor<I, O>;
  /**
   * Simulated processing time per item in ms (a number, or a function of the item and the instance
   * index). The instance sleeps on the clock for it before calling `process`: how simulated jobs are
   * given a speed. `1000 / cost` is the instance's capacity in items per second.
   */
  cost?: number | ((item: I, instance: number) => number);
  /** Items one instance works on at once (async I/O). Outputs may leave out of order. Default 1. */
  concurrency?: number;
  queue?: QueueSpec;
  sizeOf?: (item: O) => number;
}

export interface SinkSpec<I> {
  parallelism?: number;
  write?: (item: I, info: InstanceInfo) => void | Promise<void>;
  create?: (info: InstanceInfo) => {
    write: (item: I) => void | Promise<void>;
    close?: () => void | Promise<void>;
  };
  cost?: number | ((item: I, instance: number) => number);
  concurrency?: number;
  queue?: QueueSpec;
}

export interface EdgeOptions<T> {
  grouping?: Grouping<T>;
  /** Overrides the run's strategy on this edge. */
  strategy?: Strategy;
}
