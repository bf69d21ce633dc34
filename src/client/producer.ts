import { EventEmitter } from 'node:events';
import { checkNumber } from '../flow/validate.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { ProduceResponse } from '../protocol/apis/00-produce.js';
import { codecCode } from '../protocol/compression.js';
import { type ProduceTrace, type ProduceTracer, TRACE_HEADERS, type TraceContext } from '../tracing/hooks.js';
import {
  type AccumulatorOptions,
  type AccumulatorStats,
  type Admission,
  type Batch,
  type Delivery,
  type OverflowEvents,
  type OverflowStrategy,
  RecordAccumulator,
} from './accumulator.js';
import { writeRecordBatch } from './batch-writer.js';
import type { BrokerConnection } from './broker-connection.js';
import { Cluster, type ClusterOptions, type TopicMetadata } from './cluster.js';
import {
  brokerError,
  ClientClosedError,
  ConfigError,
  KafkaBrokerError,
  KafkaClientError,
  needsMetadataRefresh,
  TransactionStateError,
} from './errors.js';
import { createDefaultPartitioner, type Partitioner } from './partitioner.js';
import { isRetriable, type RetryOptions, RetryPolicy } from './retry.js';
import { TransactionManager, type TransactionOffset } from './transactions.js';

/**
 * The producer: records go through the bounded accumulator (where the overflow strategy applies),
 * are batched per partition by size and linger, and are sent to partition leaders, one Produce
 * request per broker per round, with retries of retriable errors.
 *
 * Ordering: at most `maxInFlightPerPartition` batches of one partition are in flight (default 1), so
 * a retried batch can never be overtaken by a later one.
 */

export interface Message {
  topic: string;
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | null> | { key: string; value: Buffer | string | null }[];
  partition?: number;
  /** Milliseconds since the epoch (default: the clock's now). */
  timestamp?: number;
  /**
   * The trace this record continues (an OpenTelemetry `Context`), for a producer with a `tracer`: its
   * produce span becomes a child of it, and `traceparent`/`tracestate` headers carry it to the consumer.
   */
  context?: TraceContext;
}

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface ProducerOptions extends AccumulatorOptions {
  /** Share an existing cluster (connections, metadata) instead of creating one from `brokers`. */
  cluster?: Cluster;
  brokers?: string[];
  clientId?: string;
  clusterOptions?: Omit<ClusterOptions, 'brokers'>;
  /** 0: no acknowledgement; 1: the leader wrote it; -1: all in-sync replicas have it (default). */
  acks?: 0 | 1 | -1;
  /** How long the broker may wait for acks=-1 replication (default 30 s). */
  ackTimeoutMs?: number;
  compression?: Compression;
  /** Uses InitProducerId and sequence numbers so retries never duplicate a batch. */
  idempotent?: boolean;
  /**
   * Makes the producer transactional (and idempotent): call initTransactions() once, then send only
   * between beginTransaction() and commitTransaction()/abortTransaction(). A later producer with the
   * same id fences this one (ProducerFencedError).
   */
  transactionalId?: string;
  /** How long the coordinator lets a transaction stay open before aborting it (default 60 s). */
  transactionTimeoutMs?: number;
  /** Retries of a batch after retriable errors (default 5, backoff 100 ms doubling to 1 s). */
  retry?: RetryOptions;
  partitioner?: Partitioner;
  /** Ask the broker to create unknown topics on first use (default true, as Kafka producers do). */
  autoCreateTopics?: boolean;
  /** Upper bound of one Produce request's record bytes (default 1 MiB). */
  maxRequestBytes?: number;
  maxInFlightPerPartition?: number;
  /**
   * Traces every record (a produce span, continuing `message.context` when given) and writes the trace
   * context into its headers: `startTracing().produceTracer()` from sluice/tracing. Off by default.
   */
  tracer?: ProduceTracer;
  /**
   * How long produce() waits for metadata that lists an explicit partition beyond the cached count
   * (default 60 s, Kafka's max.block.ms), refreshing it with the retry backoff. With `policy: 'block'`
   * it also bounds the wait for buffer room, as max.block.ms does in Kafka.
   */
  maxBlockMs?: number;
}

export interface ProducerStats extends AccumulatorStats {
  requests: number;
  retries: number;
  throttledMs: number;
}

const OVERFLOW_EVENTS: (keyof OverflowEvents)[] = [
  'drop',
  'sample',
  'highWater',
  'lowWater',
  'blocked',
  'blockTimeout',
  'overflow',
  'deliveryError',
];

type Key = string;
const tpKey = (topic: string, partition: number): Key => `${topic}\u0000${partition}`;

/** The producer's events: the buffer's overflow events, plus retries of failed batches. */
export interface ProducerEvents extends OverflowEvents {
  retry: [{ topic: string; partition: number; attempt: number; err: unknown }];
}

export class Producer extends EventEmitter<ProducerEvents> {
  readonly cluster: Cluster;
  readonly accumulator: RecordAccumulator;
  private readonly ownsCluster: boolean;
  private readonly acks: 0 | 1 | -1;
  private readonly ackTimeoutMs: number;
  private readonly compression: number;
  private readonly idempotent: boolean;
  private readonly txn: TransactionManager | null;
  private readonly retry: RetryPolicy;
  private readonly partitioner: Partitioner;
  private readonly autoCreate: boolean;
  private readonly maxRequestBytes: number;
  private readonly maxInFlightPerPartition: number;
  private readonly maxBlockMs: number;
  private readonly tracer: ProduceTracer | undefined;
  private readonly inFlight = new Map<Key, number>();
  private readonly encoded = new WeakMap<Batch, Buffer>();
  private readonly sequences = new Map<Key, number>();
  private producerId = -1n;
  private producerEpoch = -1;
  private scheduled = false;
  private lingerTimer: { at: number; cancel(): void } | null = null;
  private flushing = 0;
  private readonly flushWaiters: (() => void)[] = [];
  private closed = false;
  private connected: Promise<void> | null = null;
  private readonly counters = { requests: 0, retries: 0 };

  constructor(options: ProducerOptions) {
    super();
    if (options.cluster) {
      this.cluster = options.cluster;
      this.ownsCluster = false;
    } else {
      if (!options.brokers)
        throw new ConfigError('producer: give `brokers` (["host:port"]) or a shared `cluster`');
      this.cluster = new Cluster({
        ...options.clusterOptions,
        brokers: options.brokers,
        clientId: options.clientId,
      });
      this.ownsCluster = true;
    }
    this.acks = options.acks ?? -1;
    if (![0, 1, -1].includes(this.acks))
      throw new ConfigError(`acks must be 0, 1 or -1, got ${options.acks}`);
    this.ackTimeoutMs = options.ackTimeoutMs ?? 30_000;
    this.compression = codecCode(options.compression ?? 'none');
    this.txn = transactionManager(this.cluster, options);
    this.idempotent = options.idempotent ?? this.txn !== null;
    if (this.txn && !this.idempotent) {
      throw new ConfigError(
        'a transactional producer is idempotent: drop `idempotent: false` or the transactionalId',
      );
    }
    if (this.idempotent && this.acks !== -1) {
      throw new ConfigError('idempotent producers need acks=-1 (Kafka refuses idempotence with weaker acks)');
    }
    this.retry = new RetryPolicy(options.retry);
    this.partitioner = options.partitioner ?? createDefaultPartitioner({ stickyBytes: options.batchBytes });
    this.autoCreate = options.autoCreateTopics ?? true;
    this.maxRequestBytes = options.maxRequestBytes ?? 1024 * 1024;
    this.maxInFlightPerPartition = Math.max(1, options.maxInFlightPerPartition ?? 1);
    this.maxBlockMs = options.maxBlockMs ?? 60_000;
    this.tracer = options.tracer;
    if (!(this.maxBlockMs >= 0)) throw new ConfigError(`maxBlockMs must be >= 0, got ${options.maxBlockMs}`);
    this.accumulator = new RecordAccumulator(this.cluster.clock, options);
    for (const event of OVERFLOW_EVENTS) this.forward(event);
    this.accumulator.on('ready', () => this.schedule());
    this.accumulator.on('append', () => this.schedule());
  }

  private forward<K extends keyof OverflowEvents>(event: K): void {
    // Same payload on both sides (ProducerEvents extends OverflowEvents); TypeScript cannot see that through K.
    const emit = this.emit.bind(this) as (e: K, ...args: OverflowEvents[K]) => boolean;
    this.accumulator.on(event, ((...args: OverflowEvents[K]) => emit(event, ...args)) as never);
  }

  get strategy(): OverflowStrategy {
    return this.accumulator.strategy;
  }

  /** Connects, and for idempotent producers obtains a producer id. Called on first use otherwise. */
  connect(): Promise<void> {
    this.connected ??= (async () => {
      await this.cluster.connect();
      // A transactional producer gets its id from initTransactions(), at the transaction coordinator.
      if (this.idempotent && !this.txn) await this.initProducerId();
    })();
    this.connected.catch(() => {
      this.connected = null;
    });
    return this.connected;
  }

  /**
   * Offers one record to the buffer. Resolves when the overflow strategy has decided: `queued` (with
   * the promise of its delivery), `dropped` or `sampled-out`. With strategy `block` this is where a
   * fast caller waits.
   */
  async produce(message: Message): Promise<Admission> {
    if (this.closed) throw new ClientClosedError('produce');
    if (!this.connected) await this.connect();
    else await this.connected;
    const key = toBuffer(message.key);
    const value = toBuffer(message.value);
    let headers = normalizeHeaders(message.headers);
    let partition = message.partition;
    if (partition !== undefined && !(Number.isInteger(partition) && partition >= 0)) {
      throw new ConfigError(
        `partition must be an integer >= 0, got ${partition} (topic "${message.topic}"); ` +
          'leave it unset to let the partitioner choose',
      );
    }
    // The hot path stays synchronous: only a partition the cache does not list goes to the wait.
    const cached = this.cluster.cachedTopic(message.topic);
    const meta =
      cached && (partition ?? 0) < cached.partitions.length
        ? cached
        : await this.metadataListing(message.topic, partition ?? 0);
    if (partition === undefined) {
      partition = this.partitioner({
        topic: message.topic,
        key,
        sizeBytes: 21 + (key?.length ?? 0) + (value?.length ?? 0),
        partitions: meta.partitions,
      });
    }
    if (this.txn) {
      this.txn.assertCanSend('produce');
      await this.txn.addPartition(message.topic, partition);
    }
    // Started once nothing before the buffer can throw, so every started span is ended.
    const trace = this.tracer?.produceStarted(message.topic, message.context);
    if (trace) headers = withTraceHeaders(headers, trace);
    const record = {
      topic: message.topic,
      partition,
      key,
      value,
      headers,
      timestamp: message.timestamp ?? this.cluster.clock.now(),
    };
    // A caller looping on `await produce()` only ever yields to microtasks when produce() answers at once
    // (drop, sample, buffer), so the sender and the socket never run and the policy would throw away what
    // the broker could have taken. When the policy is about to act, give the event loop one turn first:
    // batches go out and acknowledgements come in, and the policy then judges a buffer that really is full.
    if (this.accumulator.strategy.kind !== 'block' && this.accumulator.wouldOverflow(record)) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (!trace) return this.accumulator.append(record);
    return followed(this.accumulator.append(record), trace);
  }

  /**
   * The topic's metadata once it lists `partition`. Kafka answers CreatePartitions before every broker
   * knows the new partitions, so a partition beyond the cached count may just be new: refresh, with
   * backoff, until it appears or maxBlockMs runs out, as Kafka's Java producer does.
   */
  private async metadataListing(topic: string, partition: number): Promise<TopicMetadata> {
    let meta =
      this.cluster.cachedTopic(topic) ?? (await this.cluster.topic(topic, { autoCreate: this.autoCreate }));
    const clock = this.cluster.clock;
    const deadline = clock.now() + this.maxBlockMs;
    for (let attempt = 1; partition >= meta.partitions.length; attempt++) {
      if (this.closed) throw new ClientClosedError('produce');
      this.cluster.invalidate(topic);
      meta = await this.cluster.topic(topic, { autoCreate: this.autoCreate });
      if (partition < meta.partitions.length) break;
      const left = deadline - clock.now();
      if (left <= 0) {
        throw new KafkaClientError(
          `partition ${partition} of topic "${topic}" is not in the metadata after ${this.maxBlockMs} ms ` +
            `(it lists ${meta.partitions.length} partitions); use 0..${meta.partitions.length - 1}, ` +
            'leave partition unset to let the partitioner choose, or add partitions',
        );
      }
      await clock.sleep(Math.min(this.retry.backoffMs(attempt), left));
    }
    return meta;
  }

  /**
   * Sends records and waits until each is delivered, dropped or sampled out. Rejects if a record could
   * not be admitted (block timeout, buffer overflow) or finally failed.
   */
  async send(messages: Message[]): Promise<Delivery[]> {
    const admissions = await Promise.all(messages.map((m) => this.produce(m)));
    return Promise.all(
      admissions.map((a, i): Delivery | Promise<Delivery> => {
        if (a.status === 'queued') return a.delivery;
        const m = messages[i];
        return a.status === 'dropped'
          ? { status: 'dropped', topic: m.topic, partition: m.partition ?? -1, reason: a.reason }
          : { status: 'sampled-out', topic: m.topic, partition: m.partition ?? -1 };
      }),
    );
  }

  /**
   * Registers the transactional id with its coordinator and gets a new producer epoch, which fences any
   * older producer with the same id (its open transaction is aborted). Call once before the first
   * beginTransaction().
   */
  async initTransactions(): Promise<void> {
    const txn = this.transactional('initTransactions');
    await this.connect();
    await txn.init();
    this.producerId = txn.producerId;
    this.producerEpoch = txn.producerEpoch;
    this.sequences.clear();
  }

  beginTransaction(): void {
    this.transactional('beginTransaction').begin();
  }

  /**
   * Commits consumed offsets as part of the open transaction: the group sees them only if the
   * transaction commits. `offsets` are the next offsets to read, as with a normal commit.
   */
  async sendOffsetsToTransaction(offsets: TransactionOffset[], groupId: string): Promise<void> {
    await this.transactional('sendOffsetsToTransaction').sendOffsets(groupId, offsets);
  }

  /**
   * Sends what is buffered, then commits: read_committed readers see the transaction's records and the
   * group its offsets. If any record of the transaction failed it throws instead; abort then.
   */
  async commitTransaction(): Promise<void> {
    const txn = this.transactional('commitTransaction');
    txn.assertCommittable();
    await this.flush();
    txn.assertCommittable();
    await txn.end(true);
  }

  /**
   * Aborts the open transaction: its records stay in the log but read_committed readers skip them, and
   * its offsets never reach the group. After a failed transaction the producer takes a new epoch, so its
   * sequence numbers start afresh.
   */
  async abortTransaction(): Promise<void> {
    const txn = this.transactional('abortTransaction');
    const failed = txn.hasFailed();
    await this.flush();
    await txn.end(false);
    if (failed) await this.initTransactions();
  }

  /** The producer's transaction state (`null` for a producer without a transactionalId). */
  get transactionState(): TransactionManager['state'] | null {
    return this.txn?.state ?? null;
  }

  private transactional(what: string): TransactionManager {
    if (this.closed) throw new ClientClosedError(what);
    if (!this.txn) {
      throw new TransactionStateError(`${what}: this producer has no transactionalId; create it with one`);
    }
    return this.txn;
  }

  /** Sends everything buffered now, ignoring linger, and waits until the buffer is empty. */
  async flush(): Promise<void> {
    if (this.accumulator.isEmpty()) return;
    this.flushing++;
    try {
      await new Promise<void>((resolve) => {
        this.flushWaiters.push(resolve);
        this.schedule();
      });
    } finally {
      this.flushing--;
    }
  }

  stats(): ProducerStats {
    const throttledMs = this.cluster.stats().reduce((s, c) => s + c.throttledMs, 0);
    return { ...this.accumulator.stats(), ...this.counters, throttledMs };
  }

  /**
   * Flushes (unless `flush: false`) for at most `timeoutMs` (default 5 s), then closes. Records not
   * acknowledged by then fail with a "client closed" error: with the broker gone or hung a flush would
   * otherwise wait out request timeouts and retries, far past any shutdown grace period.
   */
  async close(options: { flush?: boolean; timeoutMs?: number } = {}): Promise<{ undelivered: number }> {
    if (this.closed) return { undelivered: 0 };
    if (options.flush !== false && this.connected) {
      const clock = this.cluster.clock;
      let timer: { cancel(): void } | undefined;
      await Promise.race([
        this.flush(),
        new Promise<void>((resolve) => {
          timer = clock.setTimeout(resolve, options.timeoutMs ?? 5_000);
        }),
      ]);
      timer?.cancel();
    }
    // Accepted and not yet acknowledged or failed: closing fails every one of them.
    const a = this.accumulator.stats();
    const undelivered = Math.max(0, a.appended - a.delivered - a.failed);
    this.closed = true;
    this.accumulator.close();
    this.accumulator.abortQueued(new ClientClosedError('producer closed before the record was sent'));
    this.lingerTimer?.cancel();
    if (this.ownsCluster) this.cluster.close();
    return { undelivered };
  }

  /**
   * Retried like a batch: a Kafka broker that has no block of producer ids yet (its first idempotent
   * producer, or one just elected) answers COORDINATOR_LOAD_IN_PROGRESS until the controller gave it one.
   */
  private async initProducerId(): Promise<void> {
    const res = await this.retry.run(this.cluster.clock, async () => {
      const conn = await this.cluster.anyConnection();
      const r = await conn.request(ApiKey.InitProducerId, {
        transactionalId: null,
        transactionTimeoutMs: 60_000,
      });
      if (r.errorCode !== 0) throw brokerError(r.errorCode, 'InitProducerId');
      return r;
    });
    this.producerId = res.producerId;
    this.producerEpoch = res.producerEpoch;
  }

  /**
   * Runs the sender soon. With lingerMs 0 that is right after the current burst of synchronous appends
   * (a microtask), so a lone record is not held for an event-loop turn; records that arrive while a
   * batch is in flight still accumulate into the next one. Otherwise after pending I/O (setImmediate),
   * and lingering is left to the timer.
   */
  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.runSender();
    };
    if (this.accumulator.lingerMs === 0) queueMicrotask(run);
    else setImmediate(run);
  }

  private isBusy = (topic: string, partition: number): boolean =>
    (this.inFlight.get(tpKey(topic, partition)) ?? 0) >= this.maxInFlightPerPartition;

  private runSender(): void {
    const batches = this.accumulator.drain({ flush: this.flushing > 0, isBusy: this.isBusy });
    if (batches.length > 0) {
      const byLeader = new Map<number, Batch[]>();
      for (const b of batches) {
        this.markBusy(b, 1);
        const leader =
          this.cluster.cachedTopic(b.topic)?.partitions.find((p) => p.partition === b.partition)?.leader ??
          -1;
        if (leader < 0) {
          this.retryLater(b, brokerError(5, `producing to ${b.topic}/${b.partition}`), true);
          continue;
        }
        const list = byLeader.get(leader);
        if (list) list.push(b);
        else byLeader.set(leader, [b]);
      }
      for (const [leader, list] of byLeader) {
        let request: Batch[] = [];
        let bytes = 0;
        for (const b of list) {
          if (request.length > 0 && bytes + b.bytes > this.maxRequestBytes) {
            void this.sendRequest(leader, request);
            request = [];
            bytes = 0;
          }
          request.push(b);
          bytes += b.bytes;
        }
        if (request.length > 0) void this.sendRequest(leader, request);
      }
    }
    this.armLinger();
    this.checkFlushed();
  }

  private armLinger(): void {
    const at = this.accumulator.nextLingerDeadline();
    if (at === undefined) return;
    const clock = this.cluster.clock;
    if (this.lingerTimer && this.lingerTimer.at <= at) return;
    this.lingerTimer?.cancel();
    const timer = clock.setTimeout(
      () => {
        if (this.lingerTimer === handle) this.lingerTimer = null;
        this.schedule();
      },
      Math.max(0, at - clock.now()),
    );
    const handle = { at, cancel: () => timer.cancel() };
    this.lingerTimer = handle;
  }

  private markBusy(b: Batch, delta: number): void {
    const k = tpKey(b.topic, b.partition);
    const n = (this.inFlight.get(k) ?? 0) + delta;
    if (n <= 0) this.inFlight.delete(k);
    else this.inFlight.set(k, n);
  }

  private async encode(b: Batch): Promise<Buffer> {
    const cached = this.encoded.get(b);
    if (cached) return cached;
    let baseSequence = -1;
    if (this.idempotent) {
      const k = tpKey(b.topic, b.partition);
      baseSequence = this.sequences.get(k) ?? 0;
      this.sequences.set(k, (baseSequence + b.entries.length) % 0x80000000);
    }
    const buf = await writeRecordBatch(
      b.entries.map((e) => e.record),
      {
        compression: this.compression,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        baseSequence,
        // The broker stamps its own epoch on append; 0 is what kafkajs writes (Java writes -1), and
        // matching kafkajs keeps our Produce requests byte-identical to a widely deployed client.
        partitionLeaderEpoch: 0,
        transactional: this.txn !== null,
      },
    );
    this.encoded.set(b, buf);
    return buf;
  }

  private async sendRequest(leader: number, batches: Batch[]): Promise<void> {
    let conn: BrokerConnection;
    let res: ProduceResponse | undefined;
    try {
      conn = this.cluster.broker(leader);
      const encoded = await Promise.all(batches.map((b) => this.encode(b)));
      const topics = new Map<string, { index: number; records: Buffer }[]>();
      batches.forEach((b, i) => {
        const list = topics.get(b.topic);
        const entry = { index: b.partition, records: encoded[i] };
        if (list) list.push(entry);
        else topics.set(b.topic, [entry]);
      });
      this.counters.requests++;
      res = await conn.request(
        ApiKey.Produce,
        {
          transactionalId: this.txn?.transactionalId ?? null,
          acks: this.acks,
          timeoutMs: this.ackTimeoutMs,
          topicData: [...topics.entries()].map(([name, partitionData]) => ({ name, partitionData })),
        },
        { expectResponse: this.acks !== 0 },
      );
    } catch (err) {
      for (const b of batches) this.onBatchError(b, err);
      return;
    }
    if (this.acks === 0) {
      for (const b of batches) this.onBatchDone(b, -1n, -1);
      return;
    }
    const byTp = new Map<Key, ProduceResponse['responses'][number]['partitionResponses'][number]>();
    for (const t of res.responses) for (const p of t.partitionResponses) byTp.set(tpKey(t.name, p.index), p);
    for (const b of batches) {
      const p = byTp.get(tpKey(b.topic, b.partition));
      if (!p) {
        this.onBatchError(
          b,
          new KafkaClientError(`Produce response from broker ${leader} lacks ${b.topic}/${b.partition}`, {
            retriable: true,
          }),
        );
      } else if (p.errorCode === 0 || (p.errorCode === 46 && this.idempotent)) {
        const appendTime =
          p.logAppendTimeMs !== undefined && p.logAppendTimeMs >= 0n ? Number(p.logAppendTimeMs) : -1;
        this.onBatchDone(b, p.baseOffset, appendTime);
      } else {
        const context = `Produce to ${b.topic}/${b.partition} (${b.entries.length} records, ${b.bytes} bytes)`;
        this.onBatchError(
          b,
          brokerError(p.errorCode, p.errorMessage ? `${context}: ${p.errorMessage}` : context),
        );
      }
    }
    this.schedule();
  }

  private onBatchDone(b: Batch, baseOffset: bigint, appendTime: number): void {
    this.markBusy(b, -1);
    this.encoded.delete(b);
    this.accumulator.complete(b, baseOffset, appendTime);
    this.checkFlushed();
  }

  private onBatchError(b: Batch, err: unknown): void {
    if (isRetriable(err) && b.attempts < this.retry.retries && !this.closed) {
      const refresh = err instanceof KafkaBrokerError ? needsMetadataRefresh(err.code) : true;
      this.retryLater(b, err, refresh);
      return;
    }
    this.markBusy(b, -1);
    this.encoded.delete(b);
    if (this.txn) {
      err = this.txn.recordError(err);
      this.txn.fail(err);
    }
    this.accumulator.fail(b, err);
    this.schedule();
    this.checkFlushed();
  }

  /** The partition stays busy during the backoff so later batches cannot overtake this one. */
  private retryLater(b: Batch, err: unknown, refresh: boolean): void {
    this.counters.retries++;
    this.emit('retry', { topic: b.topic, partition: b.partition, attempt: b.attempts + 1, err });
    if (refresh) this.cluster.invalidate(b.topic);
    const backoff = this.retry.backoffMs(b.attempts + 1);
    this.cluster.clock.setTimeout(async () => {
      if (refresh) {
        try {
          await this.cluster.topic(b.topic);
        } catch {
          // The next attempt reports the error if it persists.
        }
      }
      this.markBusy(b, -1);
      if (this.closed) {
        this.accumulator.fail(b, err);
        return;
      }
      this.accumulator.requeue(b);
      this.schedule();
    }, backoff);
  }

  private checkFlushed(): void {
    if (this.flushWaiters.length > 0 && this.accumulator.isEmpty()) {
      for (const w of this.flushWaiters.splice(0)) w();
    }
  }
}

function transactionManager(cluster: Cluster, options: ProducerOptions): TransactionManager | null {
  const id = options.transactionalId;
  if (id === undefined) return null;
  if (typeof id !== 'string' || id.length === 0) {
    throw new ConfigError(`transactionalId must be a non-empty string, got ${JSON.stringify(id)}`);
  }
  const timeoutMs = options.transactionTimeoutMs ?? 60_000;
  checkNumber('transactionTimeoutMs', timeoutMs, { integer: true, min: 1 }, (m) => new ConfigError(m));
  return new TransactionManager(cluster, id, timeoutMs);
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v) : v;
}

/** The record's headers with the trace's in place of any trace headers the caller set. */
function withTraceHeaders(
  headers: { key: string; value: Buffer | null }[] | undefined,
  trace: ProduceTrace,
): { key: string; value: Buffer | null }[] {
  const kept = (headers ?? []).filter((h) => h.key !== TRACE_HEADERS.parent && h.key !== TRACE_HEADERS.state);
  return [...kept, ...trace.headers];
}

/** Ends the produce span with the record's fate: acknowledged, refused by the policy, or failed. */
async function followed(appended: Promise<Admission>, trace: ProduceTrace): Promise<Admission> {
  let admission: Admission;
  try {
    admission = await appended;
  } catch (error) {
    trace.ended({ error });
    throw error;
  }
  if (admission.status === 'queued') {
    admission.delivery.then(
      (d) =>
        trace.ended(
          d.status === 'delivered' ? { partition: d.partition, offset: d.offset } : { dropped: d.status },
        ),
      (error: unknown) => trace.ended({ error }),
    );
  } else trace.ended({ dropped: admission.status === 'dropped' ? admission.reason : admission.status });
  return admission;
}

function normalizeHeaders(h: Message['headers']): { key: string; value: Buffer | null }[] | undefined {
  if (!h) return undefined;
  if (Array.isArray(h)) return h.map(({ key, value }) => ({ key, value: toBuffer(value) }));
  return Object.entries(h).map(([key, value]) => ({ key, value: toBuffer(value) }));
}
