import { type AbortableWaiter, disarmAbort, leaveOnAbort, settleAll } from './abortable-waiter.js';
import { type Clock, realClock } from './clock.js';
import { ChannelClosedError, ChannelOverflowError, requireNumber } from './errors.js';
import { RingBuffer } from './ring-buffer.js';
import type { Watermarks } from './watermarks.js';

/**
 * What a full channel does with one more item:
 * - 'block': the sender waits for room (FIFO among senders, cancellable with an AbortSignal);
 * - 'drop-newest': the new item is discarded;
 * - 'drop-oldest': the oldest queued item is discarded to make room;
 * - 'sample': 1 in `sampleEvery` (or a fraction `sampleProbability`) of the overflowing items is kept,
 *   displacing the oldest, the rest are discarded: readers keep seeing a thinned, fresh stream;
 * - 'fail': the sender gets a ChannelOverflowError.
 */
export const OVERFLOW_POLICIES = ['block', 'drop-newest', 'drop-oldest', 'sample', 'fail'] as const;
export type OverflowPolicy = (typeof OVERFLOW_POLICIES)[number];

export interface ChannelOptions<T> {
  /** Maximum number of queued items (a whole number >= 1, or Infinity for an unbounded queue). */
  capacity: number;
  /** Shown in errors and stats. */
  name?: string;
  /** Default 'block'. */
  policy?: OverflowPolicy;
  /** Optional byte bound; needs `sizeOf`. A single item larger than this is still let into an empty channel. */
  maxBytes?: number;
  sizeOf?: (item: T) => number;
  /** 'sample' policy: keep 1 in N of the overflowing items (default 10). */
  sampleEvery?: number;
  /** 'sample' policy: keep each overflowing item with this probability instead of 1 in N. */
  sampleProbability?: number;
  /** Random source for `sampleProbability` (inject a seeded one for reproducible runs). */
  random?: () => number;
  /** Used to measure how long senders were blocked. */
  clock?: Clock;
  /**
   * Watermarks the channel keeps up to date with its depth (or bytes, see `watermarkGauge`) on every
   * change, so pressure is declared and relieved the moment the marks are crossed, without polling.
   */
  watermarks?: Watermarks;
  /** What the watermarks measure. Default 'depth'. */
  watermarkGauge?: 'depth' | 'bytes';
}

export interface ChannelStats {
  name: string;
  policy: OverflowPolicy;
  capacity: number;
  maxBytes: number;
  /** Items queued now. */
  depth: number;
  /** Bytes queued now (0 without `sizeOf`). */
  bytes: number;
  /** Largest depth seen. */
  maxDepth: number;
  /**
   * Items given to trySend/send/sendMany. Every one is accounted for:
   * offered = received + depth + dropped + rejected + cancelled + waitingSenders.
   */
  offered: number;
  /** Items accepted into the channel (some may later be displaced by drop-oldest or sample). */
  sent: number;
  /** Items handed to readers. */
  received: number;
  /** Items discarded by an overflow policy: the new ones refused and the old ones displaced. */
  dropped: number;
  /** Overflowing items the 'sample' policy kept (each displaced an older one, counted in `dropped`). */
  sampled: number;
  /** Items refused by the 'fail' policy (or by trySend on a full 'block' channel). */
  rejected: number;
  /** Total milliseconds senders spent blocked, counted when each wait ends. */
  blockedMs: number;
  /** Number of sends that had to wait for room. */
  blockedSends: number;
  /** Blocked sends that never got in: aborted by their signal, or cut off by close() / fail(). */
  cancelled: number;
  waitingSenders: number;
  waitingReceivers: number;
  state: 'open' | 'closed' | 'failed';
}

interface SendWaiter<T> extends AbortableWaiter {
  item: T;
  size: number;
  since: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
}

interface ReceiveWaiter<T> extends AbortableWaiter {
  /** 0 for receive(), ITERATOR for an iterator's next(), otherwise the most receiveMany() may return. */
  max: number;
  resolve: (value: T | T[] | IteratorResult<T>) => void;
  reject: (reason: unknown) => void;
}

/** Receive-waiter mode of an async iterator's next(): resolve with an IteratorResult. */
const ITERATOR = -1;

/** Shared so the fast path of send() allocates nothing. */
const RESOLVED: Promise<void> = Promise.resolve();
let channelCount = 0;

/**
 * A bounded queue between async producers and consumers, with an explicit overflow policy. This is
 * where backpressure becomes concrete: with 'block' a fast producer is held to the consumer's pace;
 * with the drop and sample policies it keeps running and the channel counts exactly what it discarded.
 *
 * Items must not be `undefined` (tryReceive uses it to mean "nothing there").
 */
export class Channel<T> implements AsyncIterable<T> {
  readonly name: string;
  readonly capacity: number;
  readonly maxBytes: number;
  readonly policy: OverflowPolicy;

  private readonly buffer: RingBuffer<T>;
  private readonly sizes: RingBuffer<number> | undefined;
  private readonly sizeOf: ((item: T) => number) | undefined;
  private readonly senders = new RingBuffer<SendWaiter<T>>(4);
  private readonly receivers = new RingBuffer<ReceiveWaiter<T>>(4);
  private readonly clock: Clock;
  private readonly sampleEvery: number;
  private readonly sampleProbability: number | undefined;
  private readonly random: () => number;
  private readonly watermarks: Watermarks | undefined;
  private readonly gaugeBytes: boolean;

  private bytesQueued = 0;
  private state: 'open' | 'closed' | 'failed' = 'open';
  private failure: unknown;
  private waitingSenderCount = 0;
  private waitingReceiverCount = 0;
  private wakeScheduled = false;
  /** Bound once: serves waiting readers from a microtask (see `accept`). */
  private readonly wakeReaders = () => {
    this.wakeScheduled = false;
    this.serveReaders();
  };
  private overflowSeen = 0;
  private counters = {
    maxDepth: 0,
    offered: 0,
    sent: 0,
    received: 0,
    dropped: 0,
    sampled: 0,
    rejected: 0,
    blockedMs: 0,
    blockedSends: 0,
    cancelled: 0,
  };

  constructor(options: ChannelOptions<T>) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('Channel needs options, e.g. new Channel({ capacity: 1000 })');
    }
    this.name = options.name ?? `channel-${++channelCount}`;
    this.capacity = requireNumber(`channel "${this.name}": capacity`, options.capacity, {
      min: 1,
      integer: true,
      allowInfinity: true,
    });
    this.policy = options.policy ?? 'block';
    if (!OVERFLOW_POLICIES.includes(this.policy)) {
      throw new RangeError(
        `channel "${this.name}": unknown overflow policy ${JSON.stringify(options.policy)}; use one of ${OVERFLOW_POLICIES.join(', ')}`,
      );
    }
    if (options.maxBytes !== undefined) {
      this.maxBytes = requireNumber(`channel "${this.name}": maxBytes`, options.maxBytes, { min: 1 });
      if (!options.sizeOf) {
        throw new TypeError(`channel "${this.name}": maxBytes needs sizeOf(item) to measure items`);
      }
    } else {
      this.maxBytes = Infinity;
    }
    this.sizeOf = options.sizeOf;
    this.sizes = options.sizeOf ? new RingBuffer<number>() : undefined;
    this.sampleEvery = requireNumber(`channel "${this.name}": sampleEvery`, options.sampleEvery ?? 10, {
      min: 1,
      integer: true,
    });
    if (options.sampleProbability !== undefined) {
      const p = requireNumber(`channel "${this.name}": sampleProbability`, options.sampleProbability, {
        min: 0,
      });
      if (p > 1)
        throw new RangeError(`channel "${this.name}": sampleProbability must be between 0 and 1, got ${p}`);
      this.sampleProbability = p;
    }
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? realClock;
    this.buffer = new RingBuffer<T>(Math.min(this.capacity, 1024));
    this.watermarks = options.watermarks;
    this.gaugeBytes = options.watermarkGauge === 'bytes';
    if (this.gaugeBytes && !this.sizes) {
      throw new TypeError(
        `channel "${this.name}": watermarkGauge 'bytes' needs sizeOf(item) to measure items`,
      );
    }
  }

  /** The watermarks this channel drives, if any (subscribe with `onChange`). */
  get pressure(): Watermarks | undefined {
    return this.watermarks;
  }

  /** Items queued now. */
  get depth(): number {
    return this.buffer.length;
  }

  /** Bytes queued now (0 without `sizeOf`). */
  get bytes(): number {
    return this.bytesQueued;
  }

  get closed(): boolean {
    return this.state !== 'open';
  }

  /** True once closed (or failed) and every queued item was read. */
  get done(): boolean {
    return this.state !== 'open' && this.buffer.length === 0;
  }

  get stats(): ChannelStats {
    return {
      name: this.name,
      policy: this.policy,
      capacity: this.capacity,
      maxBytes: this.maxBytes,
      depth: this.buffer.length,
      bytes: this.bytesQueued,
      ...this.counters,
      waitingSenders: this.waitingSenderCount,
      waitingReceivers: this.waitingReceiverCount,
      state: this.state,
    };
  }

  /**
   * Offers an item without waiting. Returns true if it was accepted (for 'drop-oldest' and kept
   * 'sample' items, by displacing the oldest), false if it was not: a full 'block' or 'fail' channel
   * refuses it (counted in `rejected`), 'drop-newest' and 'sample' discard it (counted in `dropped`).
   * Throws ChannelClosedError once the channel is closed.
   */
  trySend(item: T): boolean {
    if (this.state !== 'open') throw this.senderError();
    this.counters.offered++;
    const size = this.sizeOf ? this.measure(item) : 0;
    if (this.waitingSenderCount === 0 && this.hasRoom(size)) {
      this.accept(item, size);
      return true;
    }
    if (this.policy === 'block' || this.policy === 'fail') {
      this.counters.rejected++;
      return false;
    }
    return this.overflow(item, size);
  }

  /**
   * Sends an item, applying the overflow policy when the channel is full: 'block' waits for room
   * (rejects with the signal's reason if aborted first), 'fail' rejects with ChannelOverflowError,
   * the drop and sample policies resolve at once (check `stats` for what was discarded).
   */
  send(item: T, signal?: AbortSignal): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.senderError());
    this.counters.offered++;
    const size = this.sizeOf ? this.measure(item) : 0;
    if (this.waitingSenderCount === 0 && this.hasRoom(size)) {
      this.accept(item, size);
      return RESOLVED;
    }
    switch (this.policy) {
      case 'block':
        return this.waitForRoom(item, size, signal);
      case 'fail':
        return Promise.reject(this.rejectOverflow());
      default:
        this.overflow(item, size);
        return RESOLVED;
    }
  }

  /** Sends items in order; with 'block' it waits whenever the channel is full. */
  sendMany(items: Iterable<T>, signal?: AbortSignal): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.senderError());
    const list = Array.isArray(items) ? (items as T[]) : Array.from(items);
    let i = 0;
    if (!this.sizes && !this.watermarks && this.waitingSenderCount === 0) {
      // Bulk path: copy in whatever fits in one go.
      const n = Math.min(this.capacity - this.buffer.length, list.length);
      if (n > 0) {
        this.buffer.pushMany(list, 0, n);
        i = n;
        this.counters.offered += n;
        this.counters.sent += n;
        if (this.buffer.length > this.counters.maxDepth) this.counters.maxDepth = this.buffer.length;
        if (this.waitingReceiverCount > 0) this.scheduleWake();
      }
    }
    for (; i < list.length; i++) {
      const item = list[i];
      this.counters.offered++;
      const size = this.sizeOf ? this.measure(item) : 0;
      if (this.waitingSenderCount === 0 && this.hasRoom(size)) {
        this.accept(item, size);
        continue;
      }
      if (this.policy === 'block') return this.sendRestBlocking(list, i, size, signal);
      if (this.policy === 'fail') return Promise.reject(this.rejectOverflow());
      this.overflow(item, size);
    }
    return RESOLVED;
  }

  /** The oldest queued item without taking it (e.g. to measure its age), or `undefined`. */
  peek(): T | undefined {
    return this.buffer.peek();
  }

  /**
   * Takes the oldest item if there is one, otherwise `undefined`. Never waits, and never takes an item
   * that a reader already waiting in receive() is about to be given.
   */
  tryReceive(): T | undefined {
    if (this.buffer.length === 0 || this.waitingReceiverCount > 0) return undefined;
    const item = this.take();
    if (this.waitingSenderCount > 0) this.admitBlocked();
    return item;
  }

  /**
   * Takes up to `max` of the oldest items into `into[0..n)` and returns n (0 when there is nothing to
   * take). Like tryReceive it never waits and never takes items a waiting reader is about to be given;
   * the group moves in one copy, and `into` can be reused from call to call.
   */
  tryReceiveMany(into: T[], max: number): number {
    if (this.buffer.length === 0 || this.waitingReceiverCount > 0) return 0;
    let n = 0;
    if (!this.sizes && !this.watermarks) {
      n = this.buffer.shiftInto(into, max);
      this.counters.received += n;
    }
    while (n < max && this.buffer.length > 0) into[n++] = this.take();
    if (this.waitingSenderCount > 0) this.admitBlocked();
    return n;
  }

  /**
   * Resolves with the oldest item, waiting for one if needed. Once the channel is closed and drained it
   * rejects with ChannelClosedError; once failed and drained, with the failure's error.
   */
  receive(signal?: AbortSignal): Promise<T> {
    if (this.buffer.length > 0 && this.waitingReceiverCount === 0) {
      const item = this.take();
      if (this.waitingSenderCount > 0) this.admitBlocked();
      return Promise.resolve(item);
    }
    if (this.state !== 'open' && this.buffer.length === 0) return Promise.reject(this.readerError());
    return this.waitForItems(0, signal) as Promise<T>;
  }

  /** Resolves with between 1 and `max` items, waiting for the first one if needed. */
  receiveMany(max: number, signal?: AbortSignal): Promise<T[]> {
    if (!(max >= 1) || !Number.isInteger(max)) {
      return Promise.reject(
        new RangeError(`channel "${this.name}": receiveMany(max) needs a whole number >= 1, got ${max}`),
      );
    }
    if (this.buffer.length > 0 && this.waitingReceiverCount === 0) return Promise.resolve(this.takeMany(max));
    if (this.state !== 'open' && this.buffer.length === 0) return Promise.reject(this.readerError());
    return this.waitForItems(max, signal) as Promise<T[]>;
  }

  /**
   * No more items will be sent: senders (including blocked ones) get ChannelClosedError, readers drain
   * what is queued and then see the end. Idempotent.
   */
  close(): void {
    if (this.state !== 'open') return;
    this.state = 'closed';
    this.endWaiters();
  }

  /**
   * The producing side failed: senders get ChannelClosedError (with `cause`), readers drain what was
   * queued before the failure and then receive `error`, so neither data nor the error is lost.
   */
  fail(error: unknown): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    this.failure = error;
    this.endWaiters();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: (): Promise<IteratorResult<T>> => {
        if (this.buffer.length > 0 && this.waitingReceiverCount === 0) {
          const value = this.take();
          if (this.waitingSenderCount > 0) this.admitBlocked();
          return Promise.resolve({ value, done: false });
        }
        if (this.buffer.length === 0) {
          if (this.state === 'closed') return Promise.resolve({ value: undefined, done: true });
          if (this.state === 'failed') return Promise.reject(this.failure);
        }
        // Waits as an iterator waiter, resolved with the IteratorResult itself (no extra promise per item).
        return this.waitForItems(ITERATOR, undefined) as unknown as Promise<IteratorResult<T>>;
      },
      // Leaving a for-await loop early must not close the channel: other readers may still use it.
      return: (): Promise<IteratorResult<T>> => Promise.resolve({ value: undefined, done: true }),
    };
  }

  // ---------------------------------------------------------------------------------------------

  private measure(item: T): number {
    const size = this.sizeOf!(item);
    if (!(size >= 0) || !Number.isFinite(size)) {
      throw new RangeError(
        `channel "${this.name}": sizeOf returned ${size}; it must be a finite number >= 0`,
      );
    }
    return size;
  }

  private hasRoom(size: number): boolean {
    const depth = this.buffer.length;
    if (depth >= this.capacity) return false;
    // An item bigger than maxBytes on its own still passes through an empty channel, or it never could.
    return depth === 0 || this.bytesQueued + size <= this.maxBytes;
  }

  /**
   * Queues an accepted item. Waiting readers are served from a microtask rather than handed the item
   * on the spot: by then a producer that sends item after item has usually queued more, so readers
   * pick up several per wake-up and an await-per-item loop stops ping-ponging through a fresh promise
   * for every item.
   */
  private accept(item: T, size: number): void {
    this.counters.sent++;
    if (this.waitingReceiverCount > 0) this.scheduleWake();
    this.buffer.push(item);
    if (this.sizes) {
      this.sizes.push(size);
      this.bytesQueued += size;
    }
    if (this.buffer.length > this.counters.maxDepth) this.counters.maxDepth = this.buffer.length;
    if (this.watermarks) this.gauge();
  }

  private gauge(): void {
    this.watermarks!.update(this.gaugeBytes ? this.bytesQueued : this.buffer.length);
  }

  private take(): T {
    const item = this.buffer.shift()!;
    if (this.sizes) this.bytesQueued -= this.sizes.shift()!;
    this.counters.received++;
    if (this.watermarks) this.gauge();
    return item;
  }

  private takeMany(max: number): T[] {
    let out: T[];
    if (!this.sizes && !this.watermarks) {
      out = this.buffer.shiftMany(max);
      this.counters.received += out.length;
    } else {
      out = [];
    }
    while (out.length < max) {
      if (this.buffer.length === 0) {
        if (this.waitingSenderCount === 0) break;
        this.admitBlocked();
        if (this.buffer.length === 0) break;
      }
      out.push(this.take());
    }
    if (this.waitingSenderCount > 0) this.admitBlocked();
    return out;
  }

  /** Discards the oldest queued item (drop-oldest, sample). */
  private evictOldest(): void {
    this.buffer.shift();
    if (this.sizes) this.bytesQueued -= this.sizes.shift()!;
    this.counters.dropped++;
    if (this.watermarks) this.gauge();
  }

  /** Applies a discarding policy to an item that does not fit. Returns whether the item was kept. */
  /** Counts a 'fail'-policy refusal and builds the error that says how full the channel was. */
  private rejectOverflow(): ChannelOverflowError {
    this.counters.rejected++;
    return new ChannelOverflowError(
      this.name,
      this.buffer.length,
      this.capacity,
      this.bytesQueued,
      this.maxBytes,
    );
  }

  private overflow(item: T, size: number): boolean {
    let keep: boolean;
    if (this.policy === 'drop-oldest') {
      keep = true;
    } else if (this.policy === 'sample') {
      keep =
        this.sampleProbability !== undefined
          ? this.random() < this.sampleProbability
          : ++this.overflowSeen % this.sampleEvery === 0;
      if (keep) this.counters.sampled++;
    } else {
      keep = false; // drop-newest
    }
    if (!keep) {
      this.counters.dropped++;
      return false;
    }
    while (this.buffer.length > 0 && !this.hasRoom(size)) this.evictOldest();
    this.accept(item, size);
    return true;
  }

  private waitForRoom(item: T, size: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: SendWaiter<T> = {
        item,
        size,
        since: this.clock.now(),
        settled: false,
        resolve,
        reject,
        signal,
        onAbort: undefined,
      };
      leaveOnAbort(waiter, (reason) => {
        this.waitingSenderCount--;
        this.counters.blockedMs += this.clock.now() - waiter.since;
        this.counters.cancelled++;
        reject(reason);
      });
      this.senders.push(waiter);
      this.waitingSenderCount++;
      this.counters.blockedSends++;
    });
  }

  private async sendRestBlocking(
    list: T[],
    from: number,
    firstSize: number,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.waitForRoom(list[from], firstSize, signal);
    for (let i = from + 1; i < list.length; i++) {
      if (this.state !== 'open') throw this.senderError();
      this.counters.offered++;
      const item = list[i];
      const size = this.sizeOf ? this.measure(item) : 0;
      if (this.waitingSenderCount === 0 && this.hasRoom(size)) this.accept(item, size);
      else await this.waitForRoom(item, size, signal);
    }
  }

  /** Moves blocked senders' items in, oldest sender first, while there is room. */
  private admitBlocked(): void {
    while (this.waitingSenderCount > 0) {
      const waiter = this.senders.peek()!;
      if (waiter.settled) {
        this.senders.shift();
        continue;
      }
      if (!this.hasRoom(waiter.size)) return;
      this.senders.shift();
      waiter.settled = true;
      this.waitingSenderCount--;
      this.counters.blockedMs += this.clock.now() - waiter.since;
      disarmAbort(waiter);
      this.accept(waiter.item, waiter.size);
      waiter.resolve();
    }
    // Drop aborted waiters left at the head so they do not pin memory.
    while (this.senders.length > 0 && this.senders.peek()!.settled) this.senders.shift();
  }

  private scheduleWake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    queueMicrotask(this.wakeReaders);
  }

  /** Hands queued items to waiting readers, oldest reader first; ends them once closed and drained. */
  private serveReaders(): void {
    while (this.waitingReceiverCount > 0 && this.buffer.length > 0) {
      const w = this.receivers.shift()!;
      if (w.settled) continue;
      w.settled = true;
      this.waitingReceiverCount--;
      disarmAbort(w);
      if (w.max === 0) w.resolve(this.take());
      else if (w.max === ITERATOR) w.resolve({ value: this.take(), done: false });
      else w.resolve(this.takeMany(w.max));
      if (this.waitingSenderCount > 0) this.admitBlocked();
    }
    if (this.buffer.length === 0 && this.state !== 'open') this.endReaders();
  }

  private waitForItems(max: number, signal: AbortSignal | undefined): Promise<T | T[] | IteratorResult<T>> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T | T[] | IteratorResult<T>>((resolve, reject) => {
      const waiter: ReceiveWaiter<T> = { max, settled: false, resolve, reject, signal, onAbort: undefined };
      leaveOnAbort(waiter, (reason) => {
        this.waitingReceiverCount--;
        reject(reason);
      });
      this.receivers.push(waiter);
      this.waitingReceiverCount++;
      // Items may be queued while earlier readers wait for their wake-up; make sure one is coming.
      if (this.buffer.length > 0) this.scheduleWake();
    });
  }

  private endWaiters(): void {
    settleAll(this.senders, (w) => {
      this.waitingSenderCount--;
      this.counters.blockedMs += this.clock.now() - w.since;
      this.counters.cancelled++;
      w.reject(this.senderError());
    });
    if (this.buffer.length === 0) this.endReaders(); // otherwise readers drain first
  }

  private endReaders(): void {
    settleAll(this.receivers, (w) => {
      this.waitingReceiverCount--;
      if (w.max === ITERATOR && this.state === 'closed') w.resolve({ value: undefined, done: true });
      else w.reject(this.readerError());
    });
  }

  private senderError(): ChannelClosedError {
    return this.state === 'failed'
      ? new ChannelClosedError(this.name, `channel "${this.name}" failed and accepts no more items`, {
          cause: this.failure,
        })
      : new ChannelClosedError(this.name);
  }

  private readerError(): unknown {
    return this.state === 'failed' ? this.failure : new ChannelClosedError(this.name);
  }
}
