import { EventEmitter } from 'node:events';
import type { Clock, Timer } from '../flow/clock.js';
import { checkNumber } from '../flow/validate.js';
import {
  BufferFullTimeoutError,
  BufferOverflowError,
  ClientClosedError,
  ConfigError,
  RecordTooLargeError,
} from './errors.js';

/**
 * The producer's record accumulator: records wait here, grouped into per-partition batches, until the
 * sender ships them. It is bounded in bytes, counting a record from the moment it is accepted until the
 * broker acknowledged it (or it finally failed), so a slow broker fills it and the overflow strategy
 * decides what happens next. The four strategies are the course module's:
 *
 * - `block`: the caller waits (FIFO) until bytes are freed, at most `maxBlockMs`, then gets a
 *   BufferFullTimeoutError.
 * - `buffer`: a larger bounded spill on top of `bufferBytes`; crossing the high mark emits `highWater`
 *   (and `lowWater` once back under `bufferBytes`); past the spill the append fails with
 *   BufferOverflowError.
 * - `drop`: `newest` refuses the incoming record, `oldest` evicts records still waiting (never those
 *   in flight) to make room. Each is counted.
 * - `sample`: from `above` x capacity on, only `rate` of the records are kept (deterministic stride,
 *   not random, so tests and simulations repeat); at capacity even kept ones are dropped. Counted.
 *
 * Nothing is ever lost silently: every dropped or sampled-out record shows up in `stats()`, in an event,
 * and in its own delivery result.
 */

export interface ProducerRecord {
  topic: string;
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: { key: string; value: Buffer | null }[];
  timestamp: number;
}

export type OverflowStrategy =
  | { kind: 'block'; maxBlockMs: number }
  | { kind: 'buffer'; spillBytes: number; highMark?: number }
  | { kind: 'drop'; which: 'newest' | 'oldest' }
  | { kind: 'sample'; rate: number; above?: number };

export interface AccumulatorOptions {
  /** Bytes the buffer holds before the strategy applies (default 32 MiB). */
  bufferBytes?: number;
  /** A batch is sealed when the next record would take it past this (default 16 KiB). */
  batchBytes?: number;
  /** How long an open batch waits for more records before it is ready (default 5 ms). */
  lingerMs?: number;
  /**
   * What a full buffer does with the next record, in the words flow's `Channel` uses: 'block' (produce()
   * waits for room, up to `maxBlockMs`), 'drop-newest' (the new record is dropped), 'drop-oldest' (the
   * oldest waiting records make room), 'sample' (keep `sampleRate` of the records once the buffer is
   * `sampleAbove` full), and the producer's own 'buffer' (spill `spillBytes` past `bufferBytes`, with a
   * `highWater` event at `highMark`). Default 'block'.
   */
  policy?: ProducerOverflowPolicy;
  /** 'block': how long produce() waits for room before failing with BufferFullTimeoutError (default 60 s). */
  maxBlockMs?: number;
  /** 'sample': the fraction of overflowing records kept, in (0, 1] (default 0.1, Channel's 1 in 10). */
  sampleRate?: number;
  /** 'sample': the buffer fill, a fraction in [0, 1], from which records are sampled (default 0.8). */
  sampleAbove?: number;
  /** 'buffer': bytes that may spill past `bufferBytes` (required with 'buffer'). */
  spillBytes?: number;
  /** 'buffer': fill fraction of the whole limit at which `highWater` fires (default 0.8). */
  highMark?: number;
  /**
   * @deprecated Use `policy` and its parameters: `{ kind: 'drop', which: 'oldest' }` is
   * `policy: 'drop-oldest'`. Still accepted; not together with `policy`.
   */
  strategy?: OverflowStrategy;
}

/** The overflow policies a producer offers: Channel's words (but 'fail'), plus 'buffer'. */
export type ProducerOverflowPolicy = 'block' | 'drop-newest' | 'drop-oldest' | 'sample' | 'buffer';

/** The one place where `policy` (and its parameters) becomes the strategy the buffer runs. */
export function resolveOverflowStrategy(options: AccumulatorOptions): OverflowStrategy {
  if (options.strategy && options.policy) {
    throw new ConfigError(
      'give the overflow policy as `policy` (strategy is its deprecated spelling), not both',
    );
  }
  if (options.strategy) return options.strategy;
  const policy = options.policy ?? 'block';
  switch (policy) {
    case 'block':
      return { kind: 'block', maxBlockMs: options.maxBlockMs ?? 60_000 };
    case 'drop-newest':
      return { kind: 'drop', which: 'newest' };
    case 'drop-oldest':
      return { kind: 'drop', which: 'oldest' };
    case 'sample':
      return { kind: 'sample', rate: options.sampleRate ?? 0.1, above: options.sampleAbove };
    case 'buffer':
      if (options.spillBytes === undefined) {
        throw new ConfigError(
          "policy 'buffer' needs spillBytes: how far the buffer may spill past bufferBytes",
        );
      }
      return { kind: 'buffer', spillBytes: options.spillBytes, highMark: options.highMark };
    default:
      throw new ConfigError(
        `unknown overflow policy ${JSON.stringify(policy)}; use block, drop-newest, drop-oldest, sample or buffer`,
      );
  }
}

export type DropReason = 'newest' | 'oldest' | 'full-while-sampling' | 'nothing-to-evict';

export type Delivery =
  | { status: 'delivered'; topic: string; partition: number; offset: bigint; timestamp: number }
  | { status: 'dropped'; topic: string; partition: number; reason: DropReason }
  | { status: 'sampled-out'; topic: string; partition: number };

/** Outcome of an append: queued (with the promise of its delivery), or refused by the strategy. */
export type Admission =
  | { status: 'queued'; delivery: Promise<Delivery> }
  | { status: 'dropped'; reason: DropReason }
  | { status: 'sampled-out' };

interface Entry {
  record: ProducerRecord;
  size: number;
  resolve: (d: Delivery) => void;
  reject: (err: unknown) => void;
}

export interface Batch {
  readonly topic: string;
  readonly partition: number;
  readonly entries: Entry[];
  bytes: number;
  readonly createdAt: number;
  sealed: boolean;
  /** Times this batch was sent and came back for a retry. */
  attempts: number;
}

export interface AccumulatorStats {
  capacityBytes: number;
  /** Upper bound including the spill (strategy `buffer`), else equal to capacityBytes. */
  limitBytes: number;
  bufferedBytes: number;
  inFlightBytes: number;
  maxBufferedBytes: number;
  queuedRecords: number;
  appended: number;
  delivered: number;
  failed: number;
  dropped: number;
  droppedNewest: number;
  droppedOldest: number;
  sampledOut: number;
  sampledKept: number;
  rejected: number;
  blockedNow: number;
  blockTimeouts: number;
  highWaterEvents: number;
}

/** Bytes a record occupies in a v2 batch, near enough: payloads plus the varint framing. */
export function recordSize(r: Pick<ProducerRecord, 'key' | 'value' | 'headers'>): number {
  let size = 21 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  if (r.headers) for (const h of r.headers) size += 10 + Buffer.byteLength(h.key) + (h.value?.length ?? 0);
  return size;
}

interface Waiter {
  entry: Entry;
  queued: Admission;
  since: number;
  timer: Timer;
  admit: (a: Admission) => void;
  fail: (err: unknown) => void;
}

/** What the buffer announces; the producer re-emits all but `ready` and `append` (its own scheduling cues). */
export interface OverflowEvents {
  /** A record was dropped by the overflow strategy (`reason` says which one and why). */
  drop: [{ topic: string; partition: number; reason: DropReason; records: number }];
  /** Strategy `sample` decided on an overflowing record. */
  sample: [{ topic: string; partition: number; kept: boolean }];
  /** Strategy `buffer` went above its high mark / back under the buffer size. */
  highWater: [{ bufferedBytes: number; highMarkBytes: number }];
  lowWater: [{ bufferedBytes: number }];
  /** Strategy `block`: the first producer started waiting for room. */
  blocked: [{ bufferedBytes: number }];
  blockTimeout: [{ topic: string; partition: number }];
  /** Strategy `buffer`: even the spill is full; produce() rejected with BufferOverflowError. */
  overflow: [{ topic: string; partition: number; bufferedBytes: number }];
  /** A batch failed for good (retries exhausted or a non-retriable error). */
  deliveryError: [{ topic: string; partition: number; records: number; err: unknown }];
}

export interface AccumulatorEvents extends OverflowEvents {
  ready: [];
  append: [{ topic: string; partition: number }];
}

export class RecordAccumulator extends EventEmitter<AccumulatorEvents> {
  readonly capacityBytes: number;
  readonly limitBytes: number;
  readonly batchBytes: number;
  readonly lingerMs: number;
  readonly strategy: OverflowStrategy;
  private readonly highMarkBytes: number;
  private readonly queues = new Map<string, Batch[]>();
  private readonly waiters: Waiter[] = [];
  private buffered = 0;
  private inFlight = 0;
  private queued = 0;
  private aboveHighMark = false;
  private sampleCredit = 0;
  private closed = false;
  private readonly counters = {
    maxBufferedBytes: 0,
    appended: 0,
    delivered: 0,
    failed: 0,
    droppedNewest: 0,
    droppedOldest: 0,
    droppedFull: 0,
    sampledOut: 0,
    sampledKept: 0,
    rejected: 0,
    blockTimeouts: 0,
    highWaterEvents: 0,
  };

  constructor(
    private readonly clock: Clock,
    options: AccumulatorOptions = {},
  ) {
    super();
    this.capacityBytes = options.bufferBytes ?? 32 * 1024 * 1024;
    this.batchBytes = options.batchBytes ?? 16 * 1024;
    this.lingerMs = options.lingerMs ?? 5;
    this.strategy = resolveOverflowStrategy(options);
    validate(this.capacityBytes, this.batchBytes, this.lingerMs, this.strategy);
    const s = this.strategy;
    this.limitBytes = s.kind === 'buffer' ? this.capacityBytes + s.spillBytes : this.capacityBytes;
    this.highMarkBytes =
      s.kind === 'buffer' ? Math.floor(this.limitBytes * (s.highMark ?? 0.8)) : this.limitBytes;
  }

  /**
   * Offers a record. Resolves at once unless the strategy is `block` and the buffer is full, in which
   * case it resolves when room was made (or rejects after maxBlockMs).
   */
  /** Whether appending this record now would meet the overflow policy (the buffer, or its sampling mark, is reached). */
  wouldOverflow(record: ProducerRecord): boolean {
    const size = recordSize(record);
    const s = this.strategy;
    if (s.kind === 'sample' && this.buffered + size > this.capacityBytes * (s.above ?? 0.8)) return true;
    return this.buffered + size > this.limitBytes || this.waiters.length > 0;
  }

  append(record: ProducerRecord): Promise<Admission> {
    if (this.closed) return Promise.reject(new ClientClosedError('append'));
    const size = recordSize(record);
    if (size > this.limitBytes) {
      return Promise.reject(new RecordTooLargeError(size, this.limitBytes, 'bufferBytes'));
    }
    let resolve!: (d: Delivery) => void;
    let reject!: (err: unknown) => void;
    const delivery = new Promise<Delivery>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Callers that only watch stats must not crash the process with an unhandled rejection; those who
    // await `delivery` still see the error.
    delivery.catch(() => {});
    const entry: Entry = { record, size, resolve, reject };
    const queued: Admission = { status: 'queued', delivery };
    const s = this.strategy;

    if (s.kind === 'sample' && this.buffered + size > this.capacityBytes * (s.above ?? 0.8)) {
      this.sampleCredit += s.rate;
      if (this.sampleCredit < 1) {
        this.counters.sampledOut++;
        this.emit('sample', { topic: record.topic, partition: record.partition, kept: false });
        return Promise.resolve({ status: 'sampled-out' });
      }
      this.sampleCredit -= 1;
      this.counters.sampledKept++;
    }

    if (this.buffered + size <= this.limitBytes && this.waiters.length === 0) {
      this.admit(entry);
      return Promise.resolve(queued);
    }

    switch (s.kind) {
      case 'block':
        return this.waitForRoom(entry, queued, s.maxBlockMs);
      case 'buffer':
        this.counters.rejected++;
        this.emit('overflow', {
          topic: record.topic,
          partition: record.partition,
          bufferedBytes: this.buffered,
        });
        return Promise.reject(new BufferOverflowError(this.buffered, this.limitBytes));
      case 'drop':
        if (s.which === 'oldest' && this.evictOldest(size)) {
          this.admit(entry);
          return Promise.resolve(queued);
        }
        return Promise.resolve(
          this.dropIncoming(record, s.which === 'newest' ? 'newest' : 'nothing-to-evict'),
        );
      case 'sample':
        return Promise.resolve(this.dropIncoming(record, 'full-while-sampling'));
    }
  }

  /** Batches ready to send now: sealed ones, and open ones whose linger expired (or all, when flushing). */
  drain(options: { flush?: boolean; isBusy?: (topic: string, partition: number) => boolean } = {}): Batch[] {
    const now = this.clock.now();
    const out: Batch[] = [];
    for (const queue of this.queues.values()) {
      const head = queue[0];
      if (!head) continue;
      if (options.isBusy?.(head.topic, head.partition)) continue;
      if (head.sealed || options.flush || this.closed || now - head.createdAt >= this.lingerMs) {
        queue.shift();
        head.sealed = true;
        this.queued -= head.entries.length;
        this.inFlight += head.bytes;
        out.push(head);
      }
    }
    return out;
  }

  /** When the earliest open batch's linger runs out (undefined when nothing waits). */
  nextLingerDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const queue of this.queues.values()) {
      const head = queue[0];
      if (!head) continue;
      const at = head.sealed ? this.clock.now() : head.createdAt + this.lingerMs;
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest;
  }

  /** The broker acknowledged the batch: records get their offsets, bytes are freed. */
  complete(batch: Batch, baseOffset: bigint, timestamp: number): void {
    batch.entries.forEach((e, i) => {
      e.resolve({
        status: 'delivered',
        topic: batch.topic,
        partition: batch.partition,
        offset: baseOffset + BigInt(i),
        timestamp: timestamp >= 0 ? timestamp : e.record.timestamp,
      });
    });
    this.counters.delivered += batch.entries.length;
    this.release(batch, true);
  }

  /** The batch finally failed (retries exhausted or a fatal error): its records fail, bytes are freed. */
  fail(batch: Batch, err: unknown): void {
    for (const e of batch.entries) e.reject(err);
    this.counters.failed += batch.entries.length;
    this.release(batch, true);
    this.emit('deliveryError', {
      topic: batch.topic,
      partition: batch.partition,
      records: batch.entries.length,
      err,
    });
  }

  /** The batch will be retried: it goes back to the front of its partition's queue, keeping order. */
  requeue(batch: Batch): void {
    batch.attempts++;
    this.inFlight -= batch.bytes;
    this.queued += batch.entries.length;
    this.queueFor(batch.topic, batch.partition).unshift(batch);
  }

  /** Records still queued or in flight. */
  isEmpty(): boolean {
    return this.buffered === 0;
  }

  /** Stops accepting records; waiters for room fail. Queued batches can still be drained. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      w.timer.cancel();
      w.fail(new ClientClosedError('waiting for producer buffer space'));
    }
  }

  /** Fails everything still queued (not in flight), e.g. when the producer is closed without flushing. */
  abortQueued(err: unknown): void {
    for (const queue of this.queues.values()) {
      for (const batch of queue.splice(0)) {
        this.queued -= batch.entries.length;
        this.inFlight += batch.bytes;
        this.fail(batch, err);
      }
    }
  }

  stats(): AccumulatorStats {
    const c = this.counters;
    return {
      capacityBytes: this.capacityBytes,
      limitBytes: this.limitBytes,
      bufferedBytes: this.buffered,
      inFlightBytes: this.inFlight,
      maxBufferedBytes: c.maxBufferedBytes,
      queuedRecords: this.queued,
      appended: c.appended,
      delivered: c.delivered,
      failed: c.failed,
      dropped: c.droppedNewest + c.droppedOldest + c.droppedFull,
      droppedNewest: c.droppedNewest,
      droppedOldest: c.droppedOldest,
      sampledOut: c.sampledOut,
      sampledKept: c.sampledKept,
      rejected: c.rejected,
      blockedNow: this.waiters.length,
      blockTimeouts: c.blockTimeouts,
      highWaterEvents: c.highWaterEvents,
    };
  }

  private admit(entry: Entry): void {
    const { topic, partition } = entry.record;
    const queue = this.queueFor(topic, partition);
    let tail: Batch | undefined = queue[queue.length - 1];
    if (tail && !tail.sealed && tail.bytes + entry.size > this.batchBytes && tail.entries.length > 0) {
      tail.sealed = true;
      this.emit('ready');
      tail = undefined;
    }
    if (!tail || tail.sealed) {
      tail = {
        topic,
        partition,
        entries: [],
        bytes: 0,
        createdAt: this.clock.now(),
        sealed: false,
        attempts: 0,
      };
      queue.push(tail);
    }
    tail.entries.push(entry);
    tail.bytes += entry.size;
    if (tail.bytes >= this.batchBytes) {
      tail.sealed = true;
      this.emit('ready');
    }
    this.buffered += entry.size;
    this.queued++;
    this.counters.appended++;
    if (this.buffered > this.counters.maxBufferedBytes) this.counters.maxBufferedBytes = this.buffered;
    if (!this.aboveHighMark && this.strategy.kind === 'buffer' && this.buffered >= this.highMarkBytes) {
      this.aboveHighMark = true;
      this.counters.highWaterEvents++;
      this.emit('highWater', { bufferedBytes: this.buffered, highMarkBytes: this.highMarkBytes });
    }
    if (queue.length === 1 && tail.entries.length === 1) this.emit('append', { topic, partition });
  }

  private release(batch: Batch, wasInFlight: boolean): void {
    if (wasInFlight) this.inFlight -= batch.bytes;
    this.buffered -= batch.bytes;
    if (this.aboveHighMark && this.buffered < this.capacityBytes) {
      this.aboveHighMark = false;
      this.emit('lowWater', { bufferedBytes: this.buffered });
    }
    this.admitWaiters();
  }

  private admitWaiters(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0];
      if (this.buffered + w.entry.size > this.limitBytes) break;
      this.waiters.shift();
      w.timer.cancel();
      this.admit(w.entry);
      w.admit(w.queued);
    }
  }

  private waitForRoom(entry: Entry, queued: Admission, maxBlockMs: number): Promise<Admission> {
    return new Promise<Admission>((admit, fail) => {
      const since = this.clock.now();
      const waiter: Waiter = {
        entry,
        queued,
        since,
        admit,
        fail,
        timer: this.clock.setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i < 0) return;
          this.waiters.splice(i, 1);
          this.counters.blockTimeouts++;
          this.emit('blockTimeout', { topic: entry.record.topic, partition: entry.record.partition });
          fail(new BufferFullTimeoutError(this.clock.now() - since, this.buffered, this.capacityBytes));
          // A large waiter leaving may let smaller ones behind it in.
          this.admitWaiters();
        }, maxBlockMs),
      };
      this.waiters.push(waiter);
      if (this.waiters.length === 1) this.emit('blocked', { bufferedBytes: this.buffered });
    });
  }

  private dropIncoming(record: ProducerRecord, reason: DropReason): Admission {
    if (reason === 'newest') this.counters.droppedNewest++;
    else this.counters.droppedFull++;
    this.emit('drop', { topic: record.topic, partition: record.partition, reason, records: 1 });
    return { status: 'dropped', reason };
  }

  /** Evicts the oldest waiting records (across partitions, by batch age) until `size` fits. */
  private evictOldest(size: number): boolean {
    const need = this.buffered + size - this.limitBytes;
    let waiting = 0;
    for (const queue of this.queues.values()) for (const b of queue) waiting += b.bytes;
    if (waiting < need) return false;
    let freed = 0;
    while (freed < need) {
      let oldest: Batch | undefined;
      let oldestQueue: Batch[] | undefined;
      for (const queue of this.queues.values()) {
        const head = queue[0];
        if (head && (!oldest || head.createdAt < oldest.createdAt)) {
          oldest = head;
          oldestQueue = queue;
        }
      }
      if (!oldest || !oldestQueue) return false;
      const e = oldest.entries.shift()!;
      oldest.bytes -= e.size;
      if (oldest.entries.length === 0) oldestQueue.shift();
      freed += e.size;
      this.buffered -= e.size;
      this.queued--;
      this.counters.droppedOldest++;
      e.resolve({
        status: 'dropped',
        topic: e.record.topic,
        partition: e.record.partition,
        reason: 'oldest',
      });
      this.emit('drop', {
        topic: e.record.topic,
        partition: e.record.partition,
        reason: 'oldest',
        records: 1,
      });
    }
    return true;
  }

  private queueFor(topic: string, partition: number): Batch[] {
    const key = `${topic}\u0000${partition}`;
    let q = this.queues.get(key);
    if (!q) {
      q = [];
      this.queues.set(key, q);
    }
    return q;
  }
}

/** A fraction in (0, 1]. */
const FRACTION = { positive: true, max: 1 };

function validate(capacity: number, batchBytes: number, lingerMs: number, s: OverflowStrategy): void {
  const configError = (message: string) => new ConfigError(message);
  checkNumber('bufferBytes', capacity, { positive: true }, configError);
  checkNumber('batchBytes', batchBytes, { positive: true }, configError);
  checkNumber('lingerMs', lingerMs, { min: 0 }, configError);
  switch (s.kind) {
    case 'block':
      checkNumber('block: maxBlockMs', s.maxBlockMs, { min: 0 }, configError);
      return;
    case 'buffer':
      checkNumber('buffer: spillBytes', s.spillBytes, { positive: true }, configError);
      if (s.highMark !== undefined) checkNumber('buffer: highMark', s.highMark, FRACTION, configError);
      return;
    case 'drop':
      if (s.which !== 'newest' && s.which !== 'oldest') {
        throw new ConfigError(`drop: which must be "newest" or "oldest", got ${String(s.which)}`);
      }
      return;
    case 'sample':
      checkNumber('sample: rate', s.rate, FRACTION, configError);
      if (s.above !== undefined) checkNumber('sample: above', s.above, { min: 0, max: 1 }, configError);
      return;
    default:
      throw new ConfigError(
        `unknown overflow strategy ${JSON.stringify(s)}; use block, buffer, drop or sample`,
      );
  }
}
