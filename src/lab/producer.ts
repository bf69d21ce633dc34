import { Counter, Gauge, Registry } from 'prom-client';
import type { Cluster } from '../client/cluster.js';
import { BufferFullTimeoutError, BufferOverflowError } from '../client/errors.js';
import { Producer } from '../client/producer.js';
import type { ClientSecurity } from '../client/security.js';
import {
  type AdmissionDecision,
  AdmissionGate,
  type AdmissionSignals,
  type Priority,
  REJECT_REASONS,
} from '../flow/admission.js';
import { type Clock, realClock, type Timer } from '../flow/clock.js';
import type { ProduceTracer, TraceContext } from '../tracing/hooks.js';
import { POISON_HEADER } from './failures.js';
import { type Order, OrderGenerator } from './orders.js';
import { configInt, LabConfigError } from './validate.js';

/**
 * The lab's producer as a library object: single orders, batches, bursts and an auto-producer that
 * sends `batch_size` orders every `rate_ms`, over Sluice's bounded producer. Admission control at the
 * edge (off unless configured) refuses new work when the consumer group's oldest unconsumed order is
 * older than the freshness budget, when lag passes a limit, or when the producer's own buffer is full.
 */

export interface AdmissionOptions {
  /** Refuse when the group's oldest unconsumed order is older than this (ms): the lesson's freshness budget. */
  freshnessBudgetMs?: number;
  /** Refuse when the group's total lag passes this many orders. */
  maxLag?: number;
  /** Where the lag signals come from (the lab's monitor, or the producer's own). */
  signals: () => AdmissionSignals;
}

export interface OrderProducerOptions {
  brokers?: string[];
  /** TLS/SASL settings for `brokers` (not used with a shared `cluster`). */
  security?: ClientSecurity;
  cluster?: Cluster;
  topic?: string;
  clientId?: string;
  /** Auto-producer period (the lab's rate_ms, default 1000). */
  rateMs?: number;
  /** Orders per auto-producer tick (the lab's batch_size, default 1). */
  batchSize?: number;
  /** Bytes the producer buffers before new sends wait (default 8 MiB). */
  bufferBytes?: number;
  /** How long a send may wait for buffer room before it fails with 503 (default 5 s). */
  maxBlockMs?: number;
  admission?: AdmissionOptions;
  clock?: Clock;
  seed?: number;
  /** Traces every order (a produce span per order, its context in the record's headers). Off by default. */
  tracer?: ProduceTracer;
}

export interface ProducerConfigView {
  rate_ms: number;
  batch_size: number;
  running: boolean;
  topic: string;
  admission: { enabled: boolean; freshness_budget_ms: number | null; max_lag: number | null };
}

export interface ProduceResult {
  produced: number;
  dropped: number;
  partitions: Record<string, number>;
  offset: string | null;
  orders?: Order[];
}

/**
 * Bursts (the long-running bulk call) that may run at once, and sends one burst or batch keeps
 * outstanding. Without them four 100,000-order bursts queued 400,000 sends behind the producer's buffer
 * (1.6 GB RSS, most failing their 5 s wait); with them a burst goes as fast as the broker acknowledges.
 * Batches (at most 10,000 orders, `sluice load` sends many at once) are not counted, only windowed.
 */
export const MAX_CONCURRENT_BURSTS = 2;
export const SEND_WINDOW = 500;
/** Beyond this many sends waiting for buffer room, new HTTP work is refused (429) instead of queued. */
export const MAX_WAITING_SENDERS = 2_000;

/** Refused before it started because the lab is already at a ceiling; the HTTP layer answers 429. */
export class LabBusyError extends Error {
  override readonly name = 'LabBusyError';
  constructor(
    readonly reason: 'bursts_in_flight' | 'senders_waiting',
    message: string,
  ) {
    super(message);
  }
}

export type Refusal = { refused: true; decision: Extract<AdmissionDecision, { admitted: false }> };

export const RATE_MS_RANGE = { min: 1, max: 3_600_000 };
export const BATCH_SIZE_RANGE = { min: 1, max: 10_000 };
/** The auto-producer's ceiling (batch_size × 1000 / rate_ms): beyond it the lab floods itself. */
export const MAX_AUTO_RATE = 10_000;

export class OrderProducer {
  readonly topic: string;
  readonly metrics = new Registry();
  readonly producer: Producer;
  readonly gate: AdmissionGate | null;
  private readonly clock: Clock;
  private readonly orders: OrderGenerator;
  private readonly admission: AdmissionOptions | undefined;
  private rateMs: number;
  private batchSize: number;
  private timer: Timer | null = null;
  private tickBusy = false;
  private readonly counts = {
    produced: 0,
    dropped: 0,
    errors: 0,
    rejected: Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<string, number>,
    ticks: 0,
    skippedTicks: 0,
    throttledTicks: 0,
  };
  private readonly producedCounter: Counter;
  private readonly rejectedCounter: Counter;
  private readonly errorCounter: Counter;

  constructor(options: OrderProducerOptions) {
    this.clock = options.clock ?? realClock;
    this.topic = options.topic ?? 'orders';
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(this.topic)) {
      throw new LabConfigError(`topic ${JSON.stringify(this.topic)} is not a valid Kafka topic name`);
    }
    this.rateMs = configInt('rate_ms', options.rateMs ?? 1000, RATE_MS_RANGE);
    this.batchSize = configInt('batch_size', options.batchSize ?? 1, BATCH_SIZE_RANGE);
    const bufferBytes = configInt('bufferBytes', options.bufferBytes ?? 8 * 1024 * 1024, {
      min: 64 * 1024,
      max: 2 ** 31 - 1,
    });
    const maxBlockMs = configInt('maxBlockMs', options.maxBlockMs ?? 5000, { min: 0, max: 600_000 });
    this.producer = new Producer({
      brokers: options.brokers,
      cluster: options.cluster,
      clientId: options.clientId ?? 'sluice-lab-producer',
      clusterOptions: { clock: this.clock, security: options.security },
      acks: -1,
      bufferBytes,
      lingerMs: 5,
      strategy: { kind: 'block', maxBlockMs },
      autoCreateTopics: true,
      tracer: options.tracer,
    });
    this.admission = options.admission;
    this.gate = options.admission ? this.admissionGate(options.admission, bufferBytes) : null;
    this.orders = new OrderGenerator(() => this.clock.now(), options.seed);
    this.producedCounter = new Counter({
      name: 'kafka_messages_produced_total',
      help: 'Orders acknowledged by the broker',
      registers: [this.metrics],
    });
    this.errorCounter = new Counter({
      name: 'kafka_produce_errors_total',
      help: 'Orders that could not be produced (buffer full past max block, broker errors)',
      registers: [this.metrics],
    });
    this.rejectedCounter = new Counter({
      name: 'kafka_producer_rejected_total',
      help: 'Requests refused by admission control (HTTP 429), by reason',
      labelNames: ['reason'],
      registers: [this.metrics],
    });
    // Every reason at 0 from the start: a labelled series otherwise appears only with its first 429, so
    // rate() has nothing to compare it with and a dashboard panel over it stays empty on a healthy lab.
    for (const reason of REJECT_REASONS) this.rejectedCounter.inc({ reason }, 0);
    this.registerStateGauges();
  }

  /** Refuses requests (HTTP 429) once the consumers' freshness or lag, or this producer's buffer, passes a limit. */
  private admissionGate(a: AdmissionOptions, bufferBytes: number): AdmissionGate {
    if (a.freshnessBudgetMs === undefined && a.maxLag === undefined) {
      throw new LabConfigError('admission control needs a freshness budget (ms) and/or a lag limit');
    }
    return new AdmissionGate({
      freshnessBudgetMs: a.freshnessBudgetMs,
      maxLag: a.maxLag,
      maxQueueDepth: bufferBytes,
      // Normal requests are refused once a limit is reached, optional ones at half of it.
      shedAt: { optional: 0.5, normal: 1, critical: 1 },
      signals: () => ({ ...a.signals(), queueDepth: this.producer.stats().bufferedBytes }),
    });
  }

  /** Gauges read at scrape time: whether the auto-producer runs, its period and batch, the buffered bytes. */
  private registerStateGauges(): void {
    const self = this;
    new Gauge({
      name: 'kafka_producer_running',
      help: '1 while the auto-producer runs',
      registers: [this.metrics],
      collect() {
        this.set(self.running ? 1 : 0);
      },
    });
    new Gauge({
      name: 'kafka_producer_rate_ms',
      help: 'Auto-producer period (ms)',
      registers: [this.metrics],
      collect() {
        this.set(self.rateMs);
      },
    });
    new Gauge({
      name: 'kafka_producer_batch_size',
      help: 'Orders per auto-producer tick',
      registers: [this.metrics],
      collect() {
        this.set(self.batchSize);
      },
    });
    new Gauge({
      name: 'kafka_producer_buffer_bytes',
      help: 'Bytes held by the producer until the broker acknowledges them',
      registers: [this.metrics],
      collect() {
        this.set(self.producer.stats().bufferedBytes);
      },
    });
  }

  get running(): boolean {
    return this.timer !== null;
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  config(): ProducerConfigView {
    return {
      rate_ms: this.rateMs,
      batch_size: this.batchSize,
      running: this.running,
      topic: this.topic,
      admission: {
        enabled: this.gate !== null,
        freshness_budget_ms: this.admission?.freshnessBudgetMs ?? null,
        max_lag: this.admission?.maxLag ?? null,
      },
    };
  }

  /** Changes the auto-producer; a running one restarts on the new period at once. */
  configure(change: { rateMs?: number; batchSize?: number; running?: boolean }): ProducerConfigView {
    if (change.rateMs !== undefined) this.rateMs = configInt('rate_ms', change.rateMs, RATE_MS_RANGE);
    if (change.batchSize !== undefined)
      this.batchSize = configInt('batch_size', change.batchSize, BATCH_SIZE_RANGE);
    const run = change.running ?? this.running;
    if (this.running && (change.rateMs !== undefined || !run)) this.stop();
    if (run && !this.running) this.start();
    return this.config();
  }

  start(): void {
    if (this.timer) return;
    this.timer = this.clock.setInterval(() => void this.tick(), this.rateMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** Admission decision for one request (always admitted while admission control is off). */
  admit(priority: Priority = 'normal'): Refusal | null {
    if (!this.gate) return null;
    const d = this.gate.admit(priority);
    if (d.admitted) return null;
    this.counts.rejected[d.reason] = (this.counts.rejected[d.reason] ?? 0) + 1;
    this.rejectedCounter.inc({ reason: d.reason });
    return { refused: true, decision: d };
  }

  /** Produces `count` orders and resolves once the broker acknowledged every one. */
  async produce(
    count: number,
    options: {
      returnOrders?: boolean;
      set?: Partial<Pick<Order, 'customer' | 'amount'>>;
      /** Mark the orders poison: the lab consumer fails them on every attempt until the fix is on. */
      poison?: boolean;
      /** The trace the orders continue (the HTTP request's), with a tracer. */
      context?: TraceContext;
    } = {},
  ): Promise<ProduceResult> {
    const orders: Order[] = [];
    const results = await this.bulk(count, async () => {
      const order = { ...this.orders.next(), ...options.set };
      if (options.returnOrders) orders.push(order);
      return this.send(order, options.poison ?? false, options.context);
    });
    return this.summarise(results, options.returnOrders ? orders : undefined);
  }

  private bursts = 0;

  /** Throws {@link LabBusyError} when new HTTP work would only queue behind work already waiting. */
  checkRoom(): void {
    const waiting = this.producer.stats().blockedNow;
    if (waiting >= MAX_WAITING_SENDERS) {
      throw new LabBusyError(
        'senders_waiting',
        `${waiting} sends already wait for room in the producer's buffer (at most ${MAX_WAITING_SENDERS}); ` +
          'the broker is not keeping up, retry later',
      );
    }
  }

  /**
   * `count` sends with at most SEND_WINDOW outstanding; a burst (`pace` given) is one of at most
   * MAX_CONCURRENT_BURSTS. The first failure stops further sends and is rethrown once the outstanding
   * ones have settled.
   */
  private async bulk<R>(
    count: number,
    sendOne: () => Promise<R>,
    pace?: (i: number) => Promise<void>,
  ): Promise<R[]> {
    const burst = pace !== undefined;
    if (burst && this.bursts >= MAX_CONCURRENT_BURSTS) {
      throw new LabBusyError(
        'bursts_in_flight',
        `${this.bursts} bursts are already running (at most ${MAX_CONCURRENT_BURSTS} at once); ` +
          'wait for one to finish, then retry',
      );
    }
    this.checkRoom();
    if (burst) this.bursts++;
    try {
      const results: R[] = new Array(count);
      const outstanding = new Set<Promise<void>>();
      let failure: { err: unknown } | null = null;
      for (let i = 0; i < count && !failure; i++) {
        if (pace) await pace(i);
        if (outstanding.size >= SEND_WINDOW) await Promise.race(outstanding);
        if (failure) break;
        const p: Promise<void> = sendOne().then(
          (r) => {
            results[i] = r;
          },
          (err: unknown) => {
            failure ??= { err };
          },
        );
        const tracked = p.finally(() => outstanding.delete(tracked));
        outstanding.add(tracked);
      }
      await Promise.all(outstanding);
      if (failure) throw (failure as { err: unknown }).err;
      return results;
    } finally {
      if (burst) this.bursts--;
    }
  }

  /** `count` orders, one every `delayMs`, like the lab's burst; resolves when all are acknowledged. */
  async burst(
    count: number,
    delayMs: number,
    context?: TraceContext,
  ): Promise<ProduceResult & { duration_ms: number }> {
    const started = this.clock.now();
    const results = await this.bulk(
      count,
      () => this.send(this.orders.next(), false, context),
      async (i) => {
        if (i > 0 && delayMs > 0) await this.clock.sleep(delayMs);
      },
    );
    return { ...this.summarise(results), duration_ms: this.clock.now() - started };
  }

  stats() {
    const p = this.producer.stats();
    return {
      topic: this.topic,
      running: this.running,
      produced: this.counts.produced,
      dropped: this.counts.dropped,
      errors: this.counts.errors,
      rejected: { ...this.counts.rejected },
      rejected_total: Object.values(this.counts.rejected).reduce((a, b) => a + b, 0),
      auto_producer: {
        ticks: this.counts.ticks,
        skipped_ticks: this.counts.skippedTicks,
        throttled_ticks: this.counts.throttledTicks,
      },
      buffer: {
        buffered_bytes: p.bufferedBytes,
        buffered_records: p.queuedRecords,
        in_flight_bytes: p.inFlightBytes,
        capacity_bytes: p.capacityBytes,
        max_buffered_bytes: p.maxBufferedBytes,
        waiting_senders: p.blockedNow,
      },
      requests: p.requests,
      retries: p.retries,
    };
  }

  /** Stops generating, flushes for at most `timeoutMs`; `undelivered`: orders failed by closing. */
  close(timeoutMs?: number): Promise<{ undelivered: number }> {
    this.stop();
    return this.producer.close({ timeoutMs });
  }

  private async tick(): Promise<void> {
    // One tick at a time: when the broker is slower than rate_ms, ticks are skipped (and counted)
    // instead of piling up unacknowledged sends.
    if (this.tickBusy) {
      this.counts.skippedTicks++;
      return;
    }
    if (this.admit('normal')) {
      this.counts.throttledTicks++;
      return;
    }
    this.tickBusy = true;
    this.counts.ticks++;
    try {
      await this.produce(this.batchSize);
    } catch {
      // Counted in errors; the next tick tries again.
    } finally {
      this.tickBusy = false;
    }
  }

  private async send(
    order: Order,
    poison = false,
    context?: TraceContext,
  ): Promise<{ partition: number; offset: bigint } | null> {
    try {
      const admission = await this.producer.produce({
        topic: this.topic,
        key: order.customer,
        value: JSON.stringify(order),
        headers: { 'content-type': 'application/json', ...(poison && { [POISON_HEADER]: 'true' }) },
        context,
      });
      if (admission.status !== 'queued') {
        this.counts.dropped++;
        return null;
      }
      const d = await admission.delivery;
      if (d.status !== 'delivered') {
        this.counts.dropped++;
        return null;
      }
      this.counts.produced++;
      this.producedCounter.inc();
      return { partition: d.partition, offset: d.offset };
    } catch (err) {
      this.counts.errors++;
      this.errorCounter.inc();
      throw err;
    }
  }

  private summarise(
    results: ({ partition: number; offset: bigint } | null)[],
    orders?: Order[],
  ): ProduceResult {
    const partitions: Record<string, number> = {};
    let last: bigint | null = null;
    let produced = 0;
    for (const r of results) {
      if (!r) continue;
      produced++;
      partitions[r.partition] = (partitions[r.partition] ?? 0) + 1;
      if (last === null || r.offset > last) last = r.offset;
    }
    const out: ProduceResult = {
      produced,
      dropped: results.length - produced,
      partitions,
      // Offsets only mean something per partition; a single order reports its own.
      offset: results.length === 1 && last !== null ? last.toString() : null,
    };
    if (orders) out.orders = orders;
    return out;
  }
}

/** True for the producer's own "no room in time" errors, which the HTTP edge maps to 503 + Retry-After. */
export function isBufferFull(err: unknown): boolean {
  return err instanceof BufferFullTimeoutError || err instanceof BufferOverflowError;
}
