import { Channel } from '../flow/channel.js';
import { Credits } from '../flow/credits.js';
import { ChannelClosedError } from '../flow/errors.js';
import type { Lineage } from './lineage.js';

/** An item in flight, with what the engine needs to know about it. */
export interface Envelope {
  value: unknown;
  /** When the event that produced it arrived at the source (end-to-end latency is measured from here). */
  born: number;
  /** Estimated size, counted against byte-bounded queues. */
  bytes: number;
  /** The source item it derives from, when that source wants to hear when it is fully handled. */
  lineage?: Lineage;
}

export const CLOSED: unique symbol = Symbol('closed');

/**
 * The bounded queue in front of one instance, shared by every instance that sends to it (so a fan-in
 * blocks all its upstream components on the same queue, as in the book's Streamwork engine).
 *
 * Transfer is credit-based, Flink's model: the receiver grants one credit per free slot, a sender
 * spends a credit before it moves an item, and the receiver grants it back when it takes the item.
 * An item therefore never travels to a queue that has no room for it: it waits on the sender's side,
 * and the sender's waiting is exactly its backpressured time. The byte bound is enforced by the
 * channel itself (an item may hold a credit and still wait for bytes to free up).
 */
export class Inbox {
  readonly channel: Channel<Envelope>;
  readonly credits: Credits;
  private sendersLeft = 0;
  /** Slots freed but not yet granted back: credit returns in small batches, as Flink's does per buffer. */
  private ungranted = 0;
  private readonly grantBatch: number;
  /**
   * Bytes queued, counted here when only the count is bounded: the channel then measures nothing
   * (measuring meant a second ring of sizes pushed and shifted for every item).
   */
  private unboundedBytes = 0;
  private readonly bytesBounded: boolean;
  /** Called after every change of depth (for watermarks and the strategies). */
  onLevel: (inbox: Inbox) => void = () => {};

  constructor(
    readonly id: string,
    readonly capacity: number,
    readonly maxBytes: number,
  ) {
    this.bytesBounded = Number.isFinite(maxBytes);
    this.channel = new Channel<Envelope>({
      name: id,
      capacity,
      maxBytes: this.bytesBounded ? maxBytes : undefined,
      sizeOf: this.bytesBounded ? (e) => e.bytes : undefined,
      policy: 'block',
    });
    this.credits = new Credits({ initial: capacity, max: capacity, name: id });
    this.grantBatch = Math.max(1, Math.floor(capacity / 32));
  }

  get depth(): number {
    return this.channel.depth;
  }

  get bytes(): number {
    return this.bytesBounded ? this.channel.bytes : this.unboundedBytes;
  }

  get maxDepth(): number {
    return this.channel.stats.maxDepth;
  }

  /** Fill level in [0, 1]: the fuller of the count and byte bounds. */
  get level(): number {
    const byCount = this.channel.depth / this.capacity;
    if (!Number.isFinite(this.maxBytes)) return byCount;
    return Math.max(byCount, this.channel.bytes / this.maxBytes);
  }

  /** Declares one more sender instance; the inbox closes when every sender is done. */
  addSender(): void {
    this.sendersLeft++;
  }

  senderDone(): void {
    if (--this.sendersLeft === 0) this.channel.close();
  }

  /** Moves an item now if credit and room allow; never waits. */
  tryOffer(env: Envelope): boolean {
    if (!this.credits.tryAcquire(1)) {
      // Credit still held back in a batch is room all the same: a dropping sender must see it.
      if (this.ungranted === 0) return false;
      this.flushCredits();
      if (!this.credits.tryAcquire(1)) return false;
    }
    if (!this.channel.trySend(env)) {
      this.credits.grant(1);
      return false;
    }
    this.unboundedBytes += env.bytes;
    this.onLevel(this);
    return true;
  }

  /**
   * Moves as many of the first `count` of `envs` as credit and room allow now, with one credit request
   * and one level check; returns how many moved. Never waits.
   */
  tryOfferMany(envs: Envelope[], count = envs.length): number {
    if (this.ungranted > 0 && this.credits.available < count) this.flushCredits();
    const n = this.credits.tryAcquireUpTo(count);
    let moved = 0;
    while (moved < n && this.channel.trySend(envs[moved])) {
      this.unboundedBytes += envs[moved].bytes;
      moved++;
    }
    if (moved < n) this.credits.grant(n - moved);
    if (moved > 0) this.onLevel(this);
    return moved;
  }

  /** Moves an item, waiting for credit (and for bytes to free up) as long as it takes. */
  async offer(env: Envelope, signal: AbortSignal): Promise<void> {
    await this.credits.acquire(1, signal);
    // Counted before the send settles: the receiver may take it before this continuation runs.
    this.unboundedBytes += env.bytes;
    await this.channel.send(env, signal);
    this.onLevel(this);
  }

  tryTake(): Envelope | undefined {
    const env = this.channel.tryReceive();
    if (env !== undefined) this.taken(env);
    return env;
  }

  /** The next item, or CLOSED once every sender is done and the queue is drained. */
  async take(signal: AbortSignal): Promise<Envelope | typeof CLOSED> {
    // About to wait on an empty queue: every freed slot must be granted, or the senders never come.
    this.flushCredits();
    try {
      const env = await this.channel.receive(signal);
      this.taken(env);
      return env;
    } catch (err) {
      if (err instanceof ChannelClosedError) return CLOSED;
      throw err;
    }
  }

  /** Shutdown without draining: wakes every waiter. */
  abort(): void {
    this.credits.close();
    this.channel.close();
  }

  private taken(env: Envelope): void {
    this.unboundedBytes -= env.bytes;
    // A blocked sender gets its credit at once; otherwise credit goes back in batches.
    if (++this.ungranted >= this.grantBatch || this.credits.waiting > 0) this.flushCredits();
    this.onLevel(this);
  }

  private flushCredits(): void {
    if (this.ungranted === 0) return;
    const n = this.ungranted;
    this.ungranted = 0;
    this.credits.grant(n);
  }
}
