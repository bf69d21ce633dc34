import { Counter, Gauge, Registry } from 'prom-client';
import type { Cluster } from '../client/cluster.js';
import type { ClientSecurity } from '../client/security.js';
import type { RetryOptions } from '../consumer/config.js';
import { createKafkaConsumer } from '../consumer/create.js';
import { defaultDeadLetterTopic, reasonOf } from '../consumer/dead-letter.js';
import type { ConsumerRuntime, ShutdownReport } from '../consumer/runtime.js';
import { SimulatedSink } from '../consumer/sinks/simulated.js';
import { StdoutSink } from '../consumer/sinks/stdout.js';
import type { Sink } from '../consumer/types.js';
import { type Clock, realClock } from '../flow/clock.js';
import { fanOut, type RecordTracer } from '../tracing/hooks.js';
import { RecentTraces } from '../tracing/recent.js';
import { FailingSink, type FailureKind, type FailureSettings } from './failures.js';
import { configInt, LabConfigError } from './validate.js';

/**
 * The lab's consumer as a library object: Sluice's consumer runtime in the `orders` group, writing to
 * a sink that takes `processing_time_ms` per order, one order at a time, so its capacity is the lab's
 * `1000 / processing_time_ms` msg/s. Pause stops fetching (what is already held finishes); the lag
 * stays in the broker, where the monitor sees it. Failures can be switched on (see {@link FailingSink}):
 * failed orders are retried with backoff and jitter, and dead-lettered to `<topic>.dlq` after the budget.
 */

/**
 * The lab's retry budget: 5 attempts, backoff 100 ms doubling to at most 2 s, half of it random. While
 * an order backs off, its partition waits (partition order) and the sink serves other partitions.
 */
export const LAB_RETRY: Required<RetryOptions> = {
  maxAttempts: 5,
  initialBackoffMs: 100,
  maxBackoffMs: 2_000,
  multiplier: 2,
  jitter: 0.5,
};

export type LabSinkKind = 'simulated' | 'stdout';

export interface OrderConsumerOptions {
  brokers?: string[];
  /** TLS/SASL settings for `brokers` (not used with a shared `cluster`). */
  security?: ClientSecurity;
  cluster?: Cluster;
  topic?: string;
  groupId?: string;
  /** Name of this instance in metrics and /stats (default consumer-1). */
  instance?: string;
  /** Time the simulated sink spends per order (default 500 ms: 2 msg/s). */
  processingTimeMs?: number;
  /** `simulated` (default) takes processing_time_ms per order; `stdout` prints each order as JSON. */
  sink?: LabSinkKind | Sink;
  /** Orders held at once, fetched and not yet written (default 10: the backlog stays in the broker). */
  maxInFlight?: number;
  /** Most orders one fetch hands over (Kafka's max.poll.records; default: the free credits). */
  maxPollRecords?: number;
  /** Share of failing attempts (transient) or orders (poison), 0..1 (default 0). */
  failureRate?: number;
  /** Kind of failure `failureRate` injects (default transient). */
  failure?: FailureKind;
  /** Retry budget (default {@link LAB_RETRY}). */
  retry?: RetryOptions;
  /** Dead-letter exhausted orders to `<topic>.dlq` (default true); false skips them. */
  deadLetter?: boolean;
  /** Randomness for transient failures and backoff jitter (default Math.random); tests seed it. */
  random?: () => number;
  /**
   * Time `stop()` may take in all (default 20 s): the drain, the final commit, LeaveGroup and the sink's
   * close share it (see {@link shutdownBudget}), so it holds with the broker gone.
   */
  gracePeriodMs?: number;
  clock?: Clock;
  /** An OpenTelemetry tracer for every order (beside the in-memory {@link OrderConsumer.traces}). */
  tracer?: RecordTracer;
}

/**
 * Splits a grace period between the steps of the runtime's stop(): a bound per step after the drain
 * (final commit, LeaveGroup, sink close), a quarter kept back for the HTTP server and the process, the
 * rest for the drain (at most the lab's 5 s: one order at a time never needs more).
 */
export function shutdownBudget(gracePeriodMs: number): {
  shutdownDrainTimeoutMs: number;
  shutdownStepTimeoutMs: number;
} {
  const step = Math.min(3_000, Math.floor(gracePeriodMs / 8));
  const drain = Math.min(5_000, Math.max(0, gracePeriodMs - 3 * step - Math.floor(gracePeriodMs / 4)));
  return { shutdownDrainTimeoutMs: drain, shutdownStepTimeoutMs: step };
}

export const PROCESSING_TIME_RANGE = { min: 0, max: 600_000 };

export class OrderConsumer {
  readonly topic: string;
  readonly groupId: string;
  readonly instance: string;
  readonly metrics = new Registry();
  readonly runtime: ConsumerRuntime;
  /** The sink with failure injection around it. */
  readonly sink: FailingSink;
  /** Where exhausted orders go (null when dead letters are off). */
  readonly deadLetterTopic: string | null;
  readonly retry: Required<RetryOptions>;
  /** The last orders' timelines (broker, in flight, sink), for the dashboard's traces view: always on. */
  readonly traces = new RecentTraces();
  private readonly simulated: SimulatedSink | null;
  private readonly deadLetters = new Map<string, number>();
  private readonly startedAt: number;
  private readonly clock: Clock;
  /**
   * processing_time_ms for sinks other than the simulated one: the stdout sink waits it before printing;
   * a library user's own sink may read it (`processingTimeMs`); a failed attempt costs it either way.
   */
  private delayMs = 0;

  constructor(options: OrderConsumerOptions) {
    this.clock = options.clock ?? realClock;
    this.topic = options.topic ?? 'orders';
    this.groupId = options.groupId ?? 'order-processors';
    this.instance = options.instance ?? 'consumer-1';
    const processingTimeMs = configInt(
      'processing_time_ms',
      options.processingTimeMs ?? 500,
      PROCESSING_TIME_RANGE,
    );
    const maxInFlight = configInt('maxInFlight', options.maxInFlight ?? 10, { min: 1, max: 100_000 });
    const { inner, simulated } = this.innerSink(options.sink ?? 'simulated', processingTimeMs);
    this.simulated = simulated;
    const retry = { ...LAB_RETRY, ...options.retry };
    this.retry = retry;
    const random = options.random ?? Math.random;
    this.sink = new FailingSink({
      inner,
      maxAttempts: retry.maxAttempts,
      costMs: () => this.processingTimeMs,
      clock: this.clock,
      random,
    });
    this.sink.configure({ rate: options.failureRate ?? 0, kind: options.failure ?? 'transient' });
    this.deadLetterTopic = options.deadLetter === false ? null : defaultDeadLetterTopic(this.topic);
    this.runtime = this.createRuntime(options, maxInFlight, random);
    this.runtime.on('deadLetter', ({ error }: { error: unknown }) => {
      const reason = reasonOf(error);
      this.deadLetters.set(reason, (this.deadLetters.get(reason) ?? 0) + 1);
    });
    this.startedAt = this.clock.now();
    this.registerMetrics();
  }

  /**
   * The sink the failure injection wraps: the simulated one (which waits processing_time_ms itself), the
   * printing one, or a library user's own.
   */
  private innerSink(
    kind: NonNullable<OrderConsumerOptions['sink']>,
    processingTimeMs: number,
  ): { inner: Sink; simulated: SimulatedSink | null } {
    if (kind === 'simulated') {
      const simulated = new SimulatedSink({ processingTimeMs, clock: this.clock, name: 'simulated' });
      return { inner: simulated, simulated };
    }
    if (kind === 'stdout') {
      this.delayMs = processingTimeMs;
      const stdout = new StdoutSink();
      // The printed sink still honours processing_time_ms, so /slow and /fast mean the same everywhere.
      const inner: Sink = {
        name: 'stdout',
        write: async (record, ctx) => {
          if (this.delayMs > 0) await this.clock.sleep(this.delayMs, ctx.signal);
          await stdout.write(record);
        },
      };
      return { inner, simulated: null };
    }
    if (typeof kind === 'object' && typeof kind.write === 'function') {
      this.delayMs = processingTimeMs;
      return { inner: kind, simulated: null };
    }
    throw new LabConfigError(`sink must be "simulated" or "stdout" (got ${JSON.stringify(kind)})`);
  }

  /** The consumer runtime with the lab's settings: one order at a time, commits every 500 ms. */
  private createRuntime(
    options: OrderConsumerOptions,
    maxInFlight: number,
    random: () => number,
  ): ConsumerRuntime {
    return createKafkaConsumer({
      brokers: options.brokers,
      cluster: options.cluster,
      clusterOptions: { security: options.security },
      clientId: `sluice-lab-${this.instance}`,
      groupId: this.groupId,
      topics: [this.topic],
      sink: this.sink,
      // One order at a time, in partition order: the lab's arithmetic (2 msg/s at 500 ms).
      concurrency: 1,
      ordering: 'partition',
      maxInFlight,
      maxPollRecords: options.maxPollRecords,
      minFetchRecords: 1,
      commitIntervalMs: 500,
      fetchMaxWaitMs: 200,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      rebalanceTimeoutMs: 30_000,
      revokeDrainTimeoutMs: 15_000,
      ...shutdownBudget(options.gracePeriodMs ?? 20_000),
      retry: this.retry,
      deadLetter: this.deadLetterTopic === null ? false : { topic: this.deadLetterTopic },
      clock: this.clock,
      random,
      tracer: fanOut(this.traces, options.tracer),
    });
  }

  async start(): Promise<void> {
    await this.runtime.start();
  }

  stop(): Promise<ShutdownReport> {
    return this.runtime.stop();
  }

  get processingTimeMs(): number {
    return this.simulated ? this.simulated.processingTimeMs : this.delayMs;
  }

  setProcessingTime(ms: number): void {
    const v = configInt('processing_time_ms', ms, PROCESSING_TIME_RANGE);
    if (this.simulated) this.simulated.processingTimeMs = v;
    else this.delayMs = v;
  }

  /** Changes the injected failures (rate, kind, whether the poison bug is fixed). */
  setFailures(change: Partial<FailureSettings>): FailureSettings {
    return this.sink.configure(change);
  }

  /**
   * The module's arithmetic with failures, in orders processed per second: every attempt costs
   * processing_time_ms. With transient rate p and N attempts an order takes (1 - p^N) / (1 - p)
   * attempts (≈ 1 / (1 - p): half the throughput at p = 0.5); with a poison share r, an order takes
   * (1 - r) + r·N attempts and only 1 - r of them succeed. Null when capacity is unbounded.
   */
  get expectedPerSecond(): number | null {
    const capacity = this.maxPerSecond;
    if (capacity === null) return null;
    const { rate, kind, poisonFixed } = this.sink.settings;
    const n = this.retry.maxAttempts;
    let ordersPerSecond: number;
    if (kind === 'transient' && rate > 0) {
      ordersPerSecond = capacity / (rate === 1 ? n : (1 - rate ** n) / (1 - rate));
    } else if (kind === 'poison' && rate > 0 && !poisonFixed) {
      ordersPerSecond = (capacity * (1 - rate)) / (1 - rate + rate * n);
    } else ordersPerSecond = capacity;
    return Math.round(ordersPerSecond * 1000) / 1000;
  }

  get paused(): boolean {
    return this.runtime.stats().paused.byHand;
  }

  pause(): void {
    this.runtime.pause();
  }

  resume(): void {
    this.runtime.resume();
  }

  /** The lab's capacity arithmetic: 1000 / processing_time_ms per consumer. */
  get maxPerSecond(): number | null {
    const t = this.processingTimeMs;
    return t === 0 ? null : Math.round((1000 / t) * 1000) / 1000;
  }

  config() {
    return {
      instance: this.instance,
      group_id: this.groupId,
      topic: this.topic,
      processing_time_ms: this.processingTimeMs,
      paused: this.paused,
      max_messages_per_second: this.maxPerSecond,
      sink: this.sink.name,
      ...this.failureConfig(),
    };
  }

  private failureConfig() {
    const f = this.sink.settings;
    return {
      failure_rate: f.rate,
      failure: f.kind,
      poison_fixed: f.poisonFixed,
      expected_messages_per_second: this.expectedPerSecond,
      retry: {
        max_attempts: this.retry.maxAttempts,
        initial_backoff_ms: this.retry.initialBackoffMs,
        max_backoff_ms: this.retry.maxBackoffMs,
        multiplier: this.retry.multiplier,
        jitter: this.retry.jitter,
      },
      dead_letter_topic: this.deadLetterTopic,
    };
  }

  /** Dead letters written by this instance, per reason (the error's code or class name). */
  deadLettersByReason(): Record<string, number> {
    return Object.fromEntries([...this.deadLetters.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  stats() {
    const s = this.runtime.stats();
    return {
      instance: this.instance,
      group_id: this.groupId,
      state: s.state,
      fetch_state: s.fetchState,
      paused: s.paused.byHand,
      consumed: s.consumed,
      rate: Math.round(s.ratePerSec * 1000) / 1000,
      processing_time_ms: this.processingTimeMs,
      max_messages_per_second: this.maxPerSecond,
      in_flight: s.inFlightRecords,
      // Held and not yet handed to the sink: while paused, what resume writes first.
      held: s.heldRecords,
      in_flight_bytes: s.inFlightBytes,
      max_in_flight: s.maxInFlight,
      max_poll_records: s.maxPollRecords,
      peak_in_flight: s.peakInFlightRecords,
      credits_free: s.creditsFree.records,
      sink_active: s.concurrency.active,
      paused_partitions: s.paused.partitions.map((p) => p.partition).sort((a, b) => a - b),
      assigned_partitions: s.partitions
        .filter((p) => p.topic === this.topic)
        .map((p) => p.partition)
        .sort((a, b) => a - b),
      partitions: s.partitions.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        committed: p.committed,
        in_flight: p.inFlight,
        consumed: p.consumed,
      })),
      fetches: s.fetches,
      // Records fetched past the free credits and handed back to the broker (fetched twice).
      rewound: s.rewound,
      commits: s.commits,
      commit_errors: s.commitErrors,
      sink_errors: s.sinkErrors,
      ...this.failureConfig(),
      attempts: this.sink.counts.attempts,
      retries: this.sink.counts.retries,
      succeeded: this.sink.counts.succeeded,
      succeeded_after_retry: this.sink.counts.succeededAfterRetry,
      failed_attempts: { ...this.sink.counts.failed },
      dead_lettered: s.deadLettered,
      dead_letters: this.deadLettersByReason(),
      dead_letter_errors: s.deadLetterErrors,
      skipped: s.skipped,
      uptime_seconds: Math.round((this.clock.now() - this.startedAt) / 1000),
    };
  }

  private registerMetrics(): void {
    const labels = { consumer: this.instance };
    const gauge = (name: string, help: string, read: () => number) =>
      consumerGauge(this.metrics, labels, { name, help, read });
    const tally = (name: string, help: string, read: () => number) =>
      consumerTally(this.metrics, labels, { name, help, read });
    tally(
      'kafka_messages_consumed_total',
      'Orders written by the sink and committable',
      () => this.runtime.stats().consumed,
    );
    gauge('kafka_consumer_paused', '1 while consumption is paused by hand', () => (this.paused ? 1 : 0));
    gauge(
      'kafka_consumer_processing_time_ms',
      'Simulated processing time per order',
      () => this.processingTimeMs,
    );
    gauge(
      'kafka_consumer_in_flight',
      'Orders held (fetched, not yet written)',
      () => this.runtime.stats().inFlightRecords,
    );
    gauge(
      'kafka_consumer_rate',
      'Orders written per second over the last 5 s',
      () => this.runtime.stats().ratePerSec,
    );
    tally(
      'kafka_consumer_attempts_total',
      'Sink attempts, retries included',
      () => this.sink.counts.attempts,
    );
    tally(
      'kafka_consumer_retries_total',
      'Attempts after the first one of their order',
      () => this.sink.counts.retries,
    );
    tally(
      'kafka_consumer_succeeded_after_retry_total',
      'Orders that succeeded on a retry',
      () => this.sink.counts.succeededAfterRetry,
    );
    gauge('kafka_consumer_failure_rate', 'Injected failure rate (0..1)', () => this.sink.settings.rate);
    this.registerDeadLetterCounter(labels);
    gauge(
      'kafka_consumer_assigned_partitions',
      'Partitions of the topic assigned to this instance',
      () => this.runtime.stats().partitions.length,
    );
  }

  /** Dead letters by reason, as a counter that catches up with the tally at each scrape (see consumerTally). */
  private registerDeadLetterCounter(labels: { consumer: string }): void {
    const reportedByReason = new Map<string, number>();
    const deadLetters: Counter<'consumer' | 'reason'> = new Counter({
      name: 'kafka_consumer_dead_letters_total',
      help: 'Orders dead-lettered after the retry budget, by reason',
      labelNames: ['consumer', 'reason'],
      registers: [this.metrics],
      collect: () => {
        for (const [reason, n] of Object.entries(this.deadLettersByReason())) {
          const reported = reportedByReason.get(reason) ?? 0;
          deadLetters.inc({ ...labels, reason }, Math.max(0, n - reported));
          reportedByReason.set(reason, Math.max(reported, n));
        }
      },
    });
  }
}

/** A metric of one consumer instance: its name and help, and where its value is read at scrape time. */
interface ScrapedMetric {
  name: string;
  help: string;
  read: () => number;
}

/** What every consumer metric shares: its name, its help, the `consumer` label and the registry. */
function consumerMetric(registry: Registry, { name, help }: ScrapedMetric) {
  return { name, help, labelNames: ['consumer'] as const, registers: [registry] };
}

/** A gauge labelled with the consumer instance, read at scrape time. */
function consumerGauge(registry: Registry, labels: { consumer: string }, metric: ScrapedMetric): void {
  new Gauge({
    ...consumerMetric(registry, metric),
    collect() {
      this.set(labels, metric.read());
    },
  });
}

/**
 * The runtime and the sink keep their own tallies; each counter catches up with its tally at each scrape, so
 * Prometheus sees a counter (TYPE counter, as rate() and Grafana expect of a _total) that only ever goes up.
 */
function consumerTally(registry: Registry, labels: { consumer: string }, metric: ScrapedMetric): void {
  let reported = 0;
  const counter: Counter<'consumer'> = new Counter({
    ...consumerMetric(registry, metric),
    collect: () => {
      const now = metric.read();
      counter.inc(labels, Math.max(0, now - reported));
      reported = Math.max(reported, now);
    },
  });
}
