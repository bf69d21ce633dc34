import { Gauge, Registry } from 'prom-client';
import type { Cluster } from '../client/cluster.js';
import { createKafkaConsumer } from '../consumer/create.js';
import type { ConsumerRuntime, ShutdownReport } from '../consumer/runtime.js';
import { SimulatedSink } from '../consumer/sinks/simulated.js';
import { StdoutSink } from '../consumer/sinks/stdout.js';
import type { Sink } from '../consumer/types.js';
import { type Clock, realClock } from '../flow/clock.js';
import { configInt, LabConfigError } from './validate.js';

/**
 * The lab's consumer as a library object: Sluice's consumer runtime in the `orders` group, writing to
 * a sink that takes `processing_time_ms` per order, one order at a time, so its capacity is the lab's
 * `1000 / processing_time_ms` msg/s. Pause stops fetching (what is already held finishes); the lag
 * stays in the broker, where the monitor sees it.
 */

export type LabSinkKind = 'simulated' | 'stdout';

export interface OrderConsumerOptions {
  brokers?: string[];
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
  /**
   * Time `stop()` may take in all (default 20 s): the drain, the final commit, LeaveGroup and the sink's
   * close share it (see {@link shutdownBudget}), so it holds with the broker gone.
   */
  gracePeriodMs?: number;
  clock?: Clock;
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
  readonly sink: Sink;
  private readonly simulated: SimulatedSink | null;
  private readonly startedAt: number;
  private readonly clock: Clock;
  private stdoutDelayMs = 0;

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
    const kind = options.sink ?? 'simulated';
    if (kind === 'simulated') {
      this.simulated = new SimulatedSink({ processingTimeMs, clock: this.clock, name: 'simulated' });
      this.sink = this.simulated;
    } else if (kind === 'stdout') {
      this.simulated = null;
      this.stdoutDelayMs = processingTimeMs;
      const stdout = new StdoutSink();
      // The printed sink still honours processing_time_ms, so /slow and /fast mean the same everywhere.
      this.sink = {
        name: 'stdout',
        write: async (record, ctx) => {
          if (this.stdoutDelayMs > 0) await this.clock.sleep(this.stdoutDelayMs, ctx.signal);
          await stdout.write(record);
        },
      };
    } else if (typeof kind === 'object' && typeof kind.write === 'function') {
      this.simulated = null;
      this.sink = kind;
    } else {
      throw new LabConfigError(`sink must be "simulated" or "stdout" (got ${JSON.stringify(kind)})`);
    }
    this.runtime = createKafkaConsumer({
      brokers: options.brokers,
      cluster: options.cluster,
      clientId: `sluice-lab-${this.instance}`,
      groupId: this.groupId,
      topics: [this.topic],
      sink: this.sink,
      // One order at a time, in partition order: the lab's arithmetic (2 msg/s at 500 ms).
      concurrency: 1,
      ordering: 'partition',
      maxInFlight,
      minFetchRecords: 1,
      commitIntervalMs: 500,
      fetchMaxWaitMs: 200,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      rebalanceTimeoutMs: 30_000,
      revokeDrainTimeoutMs: 15_000,
      ...shutdownBudget(options.gracePeriodMs ?? 20_000),
      deadLetter: false,
      clock: this.clock,
    });
    this.startedAt = this.clock.now();
    this.registerMetrics();
  }

  async start(): Promise<void> {
    await this.runtime.start();
  }

  stop(): Promise<ShutdownReport> {
    return this.runtime.stop();
  }

  get processingTimeMs(): number {
    return this.simulated ? this.simulated.processingTimeMs : this.stdoutDelayMs;
  }

  setProcessingTime(ms: number): void {
    const v = configInt('processing_time_ms', ms, PROCESSING_TIME_RANGE);
    if (this.simulated) this.simulated.processingTimeMs = v;
    else this.stdoutDelayMs = v;
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
    };
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
      in_flight_bytes: s.inFlightBytes,
      max_in_flight: s.maxInFlight,
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
      uptime_seconds: Math.round((this.clock.now() - this.startedAt) / 1000),
    };
  }

  private registerMetrics(): void {
    const labels = { consumer: this.instance };
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['consumer'],
        registers: [this.metrics],
        collect() {
          this.set(labels, read());
        },
      });
    // A Counter cannot be set from the runtime's own tally; prom-client gauges with a _total name read
    // the same in PromQL (rate() works on any monotonic series).
    gauge(
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
    gauge(
      'kafka_consumer_assigned_partitions',
      'Partitions of the topic assigned to this instance',
      () => this.runtime.stats().partitions.length,
    );
  }
}
