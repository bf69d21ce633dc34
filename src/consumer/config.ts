import type { Clock } from '../flow/clock.js';
import { realClock } from '../flow/clock.js';
import { checkNumber } from '../flow/validate.js';
import type { RecordTracer } from '../tracing/hooks.js';
import type { DeadLetterPublisher, OrderingMode, RecordSource, Sink, TransactionCommitter } from './types.js';

export class ConsumerConfigError extends Error {
  override readonly name = 'ConsumerConfigError';
}

export type ConcurrencyOption =
  | number
  | {
      /** `aimd`: +1 while fast, ×0.9 on errors or slow writes. `gradient`: follows the latency trend. */
      adaptive: 'aimd' | 'gradient';
      initial?: number;
      min?: number;
      max?: number;
      /** AIMD only: a write slower than this counts as overload. */
      latencyThresholdMs?: number;
    };

export interface RetryOptions {
  /** Tries per record, the first included (default 5). 1 = no retry. */
  maxAttempts?: number;
  /** Backoff before the first retry (default 100 ms), multiplied by `multiplier` each time. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  multiplier?: number;
  /** Fraction of the backoff randomised ("equal jitter": 0.5 means between 50% and 100%). Default 0.5. */
  jitter?: number;
}

export interface Marks {
  high: number;
  low: number;
}

export interface PausePolicyOptions {
  /** Pause fetching while the mean sink latency over the window is at or above `high` ms; resume at `low`. */
  latencyMs?: Marks;
  /** Same on the fraction of failed writes (0..1) over the window. */
  errorRate?: Marks;
  /** Sliding window the gauges are computed over (default 5000 ms). */
  windowMs?: number;
  /** Error rate needs at least this many outcomes in the window to count (default 5). */
  minSamples?: number;
  /** Consecutive readings over a high mark needed to pause (default 2). */
  declareAfter?: number;
  /** Flips of the pause state in `windowMs` that count as thrashing (default 6 flips in 60 s). */
  thrashing?: { windowMs?: number; maxFlips?: number };
}

export interface DeadLetterOptions {
  /** Topic for records that exhausted their retries (default `<topic>.dlq`). */
  topic?: string | ((topic: string) => string);
  /** Publisher to use instead of the Kafka one the convenience factory builds. */
  publisher?: DeadLetterPublisher;
}

export interface ConsumerRuntimeOptions {
  source: RecordSource;
  sink: Sink;
  /**
   * Exactly-once mode: offsets are committed in a transaction with the sink's outputs, one transaction
   * per commit interval (createExactlyOnceJob builds this). Without it: at-least-once.
   */
  transactions?: TransactionCommitter;
  /** Most records held at once: fetched and not yet completed (default 1000). */
  maxInFlight?: number;
  /** Most bytes of records held at once (default 16 MiB). */
  maxInFlightBytes?: number;
  /** Default `key`: per-key order, parallel across keys. */
  ordering?: OrderingMode;
  /** Concurrent sink writes: a number, or an adaptive limit (default 16). */
  concurrency?: ConcurrencyOption;
  /** How often contiguous completed offsets are committed (default 1000 ms). */
  commitIntervalMs?: number;
  /**
   * Completed records a partition may hold behind an unfinished one (its offsets cannot be committed)
   * before that partition stops fetching until the gap closes (default 10000).
   */
  maxDeferredCommits?: number;
  retry?: RetryOptions;
  /** Where exhausted records go; without it they are skipped (counted and announced as `skipped`). */
  deadLetter?: DeadLetterPublisher;
  pausePolicy?: PausePolicyOptions;
  /** How long a revocation waits for in-flight records of the revoked partitions (default 10 s). */
  revokeDrainTimeoutMs?: number;
  /** How long `stop()` waits for in-flight records (default 15 s). */
  shutdownDrainTimeoutMs?: number;
  /**
   * How long `stop()` waits for each step after the drain: the final commit, leaving the group and
   * closing the sink (default 3 s). With the broker gone these never answer; each gives up at this bound.
   */
  shutdownStepTimeoutMs?: number;
  /** Broker long-poll wait per fetch (default 500 ms). */
  fetchMaxWaitMs?: number;
  /** Upper bound of one fetch (default 1 MiB). */
  fetchMaxBytes?: number;
  /** Do not fetch for fewer free record credits than this (default max(1, maxInFlight / 10)). */
  minFetchRecords?: number;
  /**
   * Most records one fetch hands to the runtime (Kafka's max.poll.records; default: the free credits).
   * The lesson's loop: `poll(max_records=min(available, 500))`.
   */
  maxPollRecords?: number;
  /** Record size assumed before any was seen, to turn record credits into bytes (default 1024). */
  initialRecordBytes?: number;
  clock?: Clock;
  /** Randomness for jitter (default Math.random); tests pass a seeded one. */
  random?: () => number;
  /**
   * Follows every record through the runtime (taken in, sink attempts, dead letter, done): an
   * OpenTelemetry tracer from `startTracing()` (sluice/tracing), the lab's recent-traces store, or both
   * through `fanOut`. Off by default, and then nothing is measured.
   */
  tracer?: RecordTracer;
}

export interface ResolvedConfig {
  maxInFlight: number;
  maxInFlightBytes: number;
  ordering: OrderingMode;
  concurrency: ConcurrencyOption;
  commitIntervalMs: number;
  maxDeferredCommits: number;
  retry: Required<RetryOptions>;
  pausePolicy: PausePolicyOptions | undefined;
  revokeDrainTimeoutMs: number;
  shutdownDrainTimeoutMs: number;
  shutdownStepTimeoutMs: number;
  fetchMaxWaitMs: number;
  fetchMaxBytes: number;
  minFetchRecords: number;
  maxPollRecords: number;
  initialRecordBytes: number;
  clock: Clock;
  random: () => number;
}

function int(name: string, value: unknown, fallback: number, min: number, hint: string): number {
  if (value === undefined) return fallback;
  return checkNumber(
    `consumer: ${name}`,
    value,
    { integer: true, min },
    (m) => new ConsumerConfigError(`${m}; ${hint}`),
  );
}

function num(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  return checkNumber(`consumer: ${name}`, value, { min, max }, (m) => new ConsumerConfigError(m));
}

function marks(name: string, m: Marks | undefined): void {
  if (!m) return;
  if (typeof m.high !== 'number' || typeof m.low !== 'number' || m.low > m.high || m.low < 0) {
    throw new ConsumerConfigError(
      `consumer: pausePolicy.${name} needs { high, low } with 0 <= low <= high, got ${JSON.stringify(m)}; ` +
        'the gap between them keeps the consumer from flapping',
    );
  }
}

export function resolveConfig(o: ConsumerRuntimeOptions): ResolvedConfig {
  requireSourceAndSink(o);
  const maxInFlight = int('maxInFlight', o.maxInFlight, 1000, 1, 'it bounds the records held in memory');
  const maxInFlightBytes = int(
    'maxInFlightBytes',
    o.maxInFlightBytes,
    16 * 1024 * 1024,
    1024,
    'it bounds the bytes held in memory',
  );
  const ordering = resolveOrdering(o.ordering);
  const concurrency = resolveConcurrency(o.concurrency);
  const retry = resolveRetry(o.retry ?? {});
  if (o.pausePolicy) checkPausePolicy(o.pausePolicy);
  return {
    maxInFlight,
    maxInFlightBytes,
    ordering,
    concurrency,
    commitIntervalMs: int('commitIntervalMs', o.commitIntervalMs, 1000, 1, 'commits are batched on it'),
    maxDeferredCommits: int(
      'maxDeferredCommits',
      o.maxDeferredCommits,
      10_000,
      1,
      'it caps completed records waiting behind an unfinished one',
    ),
    retry,
    pausePolicy: o.pausePolicy,
    revokeDrainTimeoutMs: int('revokeDrainTimeoutMs', o.revokeDrainTimeoutMs, 10_000, 0, 'in milliseconds'),
    shutdownDrainTimeoutMs: int(
      'shutdownDrainTimeoutMs',
      o.shutdownDrainTimeoutMs,
      15_000,
      0,
      'in milliseconds',
    ),
    shutdownStepTimeoutMs: int('shutdownStepTimeoutMs', o.shutdownStepTimeoutMs, 3_000, 0, 'in milliseconds'),
    fetchMaxWaitMs: int('fetchMaxWaitMs', o.fetchMaxWaitMs, 500, 0, 'in milliseconds'),
    fetchMaxBytes: int('fetchMaxBytes', o.fetchMaxBytes, 1024 * 1024, 1024, 'in bytes'),
    minFetchRecords: Math.min(
      maxInFlight,
      int(
        'minFetchRecords',
        o.minFetchRecords,
        Math.max(1, Math.floor(maxInFlight / 10)),
        1,
        'fetching for fewer free credits is wasteful',
      ),
    ),
    maxPollRecords: int('maxPollRecords', o.maxPollRecords, maxInFlight, 1, 'e.g. 500'),
    initialRecordBytes: int('initialRecordBytes', o.initialRecordBytes, 1024, 1, 'in bytes'),
    clock: o.clock ?? realClock,
    random: o.random ?? Math.random,
  };
}

function requireSourceAndSink(o: ConsumerRuntimeOptions): void {
  if (!o || typeof o !== 'object') throw new ConsumerConfigError('consumer: options object is required');
  if (!o.source)
    throw new ConsumerConfigError('consumer: `source` is required (e.g. new KafkaSource({...}))');
  if (!o.sink || typeof o.sink.write !== 'function') {
    throw new ConsumerConfigError('consumer: `sink` with a write(record, context) method is required');
  }
}

function resolveOrdering(value: ConsumerRuntimeOptions['ordering']): ResolvedConfig['ordering'] {
  const ordering = value ?? 'key';
  if (!['partition', 'key', 'none'].includes(ordering)) {
    throw new ConsumerConfigError(
      `consumer: ordering must be 'partition', 'key' or 'none', got ${JSON.stringify(ordering)}`,
    );
  }
  return ordering;
}

/** A fixed number of concurrent sink writes, or an adaptive limit (checked further by the limiter). */
function resolveConcurrency(value: ConsumerRuntimeOptions['concurrency']): ResolvedConfig['concurrency'] {
  const concurrency = value ?? 16;
  if (typeof concurrency === 'number') {
    int('concurrency', concurrency, 16, 1, 'it is how many sink writes may run at once');
  } else if (!concurrency || !['aimd', 'gradient'].includes(concurrency.adaptive)) {
    throw new ConsumerConfigError(
      `consumer: concurrency must be a number or { adaptive: 'aimd' | 'gradient', min?, max?, initial? }, got ${JSON.stringify(concurrency)}`,
    );
  }
  return concurrency;
}

function resolveRetry(r: RetryOptions): Required<RetryOptions> {
  return {
    maxAttempts: int('retry.maxAttempts', r.maxAttempts, 5, 1, '1 means no retries'),
    initialBackoffMs: num('retry.initialBackoffMs', r.initialBackoffMs, 100, 0, 3_600_000),
    maxBackoffMs: num('retry.maxBackoffMs', r.maxBackoffMs, 10_000, 0, 3_600_000),
    multiplier: num('retry.multiplier', r.multiplier, 2, 1, 100),
    jitter: num('retry.jitter', r.jitter, 0.5, 0, 1),
  };
}

function checkPausePolicy(policy: NonNullable<ConsumerRuntimeOptions['pausePolicy']>): void {
  marks('latencyMs', policy.latencyMs);
  marks('errorRate', policy.errorRate);
  if (policy.errorRate && policy.errorRate.high > 1) {
    throw new ConsumerConfigError('consumer: pausePolicy.errorRate marks are fractions from 0 to 1');
  }
}
