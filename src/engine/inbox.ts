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
  /**
   * Items moved out of the channel in one copy and not yet taken, hand[handAt..handEnd): still queued
   * as far as depth, level, credits and watermarks go, so taking in groups changes none of them. Only a
   * count-bounded inbox uses it (the channel would stop counting the bytes of items moved here).
   */
  private readonly hand: Envelope[] = [];
  private handAt = 0;
  private handEnd = 0;
  /** Deepest the queue has been, hand included (the channel alone sees less once items wait in hand). */
  private deepest = 0;
  /**
   * Called after a change of depth (for watermarks and the strategies): after an offer that leaves the
   * depth at `notifyAtOrAbove` or more, and after a take that leaves it at `notifyAtOrBelow` or less.
   * By default that is every change; a listener that only cares about crossing a mark sets the bounds
   * to the mark, so the other changes cost no call.
   */
  onLevel: (inbox: Inbox) => void = () => {};
  notifyAtOrAbove = 0;
  notifyAtOrBelow = Number.POSITIVE_INFINITY;

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
    return this.channel.depth + this.handEnd - this.handAt;
  }

  get bytes(): number {
    return this.bytesBounded ? this.channel.bytes : this.unboundedBytes;
  }

  get maxDepth(): number {
    return this.deepest;
  }

  /** Fill level in [0, 1]: the fuller of the count and byte bounds. */
  get level(): number {
    const byCount = this.depth / this.capacity;
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
    this.offered();
    return true;
  }

  /**
   * Moves as many of the first `count` of `envs` as credit and room allow now, with one credit request
   * and one level check; returns how many moved. Never waits.
   */
  tryOfferMany(envs: Envelope[], count = envs.length): number {
    if (this.ungranted > 0 && this.credits.available < count) this.flushCredits();
    const n = this.credits.tryAcquireUpTo(count);
    if (n === 0) return 0;
    if (this.copyIn(envs, 0, n)) return n;
    let moved = 0;
    while (moved < n && this.channel.trySend(envs[moved])) {
      this.unboundedBytes += envs[moved].bytes;
      moved++;
    }
    if (moved < n) this.credits.grant(n - moved);
    if (moved > 0) {
      this.offered();
    }
    return moved;
  }

  /**
   * Moves every one of `envs`, in order, waiting for room as long as it takes. Under a count bound
   * the sender waits for credit a group at a time (as many as the receiver grants back at once), so a
   * blocked sender wakes once per group of freed slots instead of once per slot.
   */
  async offerAll(envs: Envelope[], signal: AbortSignal): Promise<void> {
    let at = 0;
    while (at < envs.length) {
      const k = this.bytesBounded ? 1 : Math.min(envs.length - at, this.grantBatch);
      await this.credits.acquire(k, unlessStopped(signal));
      if (this.copyIn(envs, at, k)) {
        at += k;
        continue;
      }
      for (const end = at + k; at < end; at++) {
        this.unboundedBytes += envs[at].bytes; // counted before the send settles, as in offer()
        await this.channel.send(envs[at], unlessStopped(signal));
        this.offered();
      }
    }
  }

  /**
   * With only a count bound, credit is room (the channel holds as many items as there are credits), so
   * a group whose credit is held moves into the channel's ring in one copy instead of one send per item.
   * Returns false (and moves nothing) when that does not apply.
   */
  private copyIn(envs: Envelope[], from: number, count: number): boolean {
    const channel = this.channel;
    if (this.bytesBounded || channel.closed || channel.depth + count > this.capacity) return false;
    const whole = from === 0 && count === envs.length;
    void channel.sendMany(whole ? envs : envs.slice(from, from + count));
    for (let i = from; i < from + count; i++) this.unboundedBytes += envs[i].bytes;
    this.offered();
    return true;
  }

  /** Moves an item, waiting for credit (and for bytes to free up) as long as it takes. */
  async offer(env: Envelope, signal: AbortSignal): Promise<void> {
    await this.credits.acquire(1, unlessStopped(signal));
    // Counted before the send settles: the receiver may take it before this continuation runs.
    this.unboundedBytes += env.bytes;
    await this.channel.send(env, unlessStopped(signal));
    this.offered();
  }

  tryTake(): Envelope | undefined {
    if (this.handAt === this.handEnd) {
      if (this.bytesBounded) {
        const env = this.channel.tryReceive();
        if (env !== undefined) this.taken(env);
        return env;
      }
      this.handAt = 0;
      this.handEnd = this.channel.tryReceiveMany(this.hand, HAND_SIZE);
      if (this.handEnd === 0) return undefined;
    }
    const env = this.hand[this.handAt];
    this.hand[this.handAt++] = undefined as unknown as Envelope; // no reference kept past the take
    this.taken(env);
    return env;
  }

  /** The next item, or CLOSED once every sender is done and the queue is drained. */
  async take(signal: AbortSignal): Promise<Envelope | typeof CLOSED> {
    if (this.handAt < this.handEnd) return this.tryTake()!;
    // About to wait on an empty queue: every freed slot must be granted, or the senders never come.
    this.flushCredits();
    try {
      const env = await this.channel.receive(unlessStopped(signal));
      this.taken(env);
      return env;
    } catch (err) {
      if (err instanceof ChannelClosedError) return CLOSED;
      throw err;
    }
  }

  /** Shutdown without draining: wakes every waiter. */
  abort(): void {
    this.hand.fill(undefined as unknown as Envelope);
    this.handAt = this.handEnd = 0;
    this.credits.close();
    this.channel.close();
  }

  private taken(env: Envelope): void {
    this.unboundedBytes -= env.bytes;
    // A blocked sender gets its credit at once; otherwise credit goes back in batches.
    if (++this.ungranted >= this.grantBatch || this.credits.waiting > 0) this.flushCredits();
    // A negative bound means no take can matter: skip even reading the depth.
    if (this.notifyAtOrBelow >= 0 && this.depth <= this.notifyAtOrBelow) this.onLevel(this);
  }

  /** After items were queued: the deepest mark, and the level listener if the depth reached its bound. */
  private offered(): void {
    const depth = this.depth;
    if (depth > this.deepest) this.deepest = depth;
    if (depth >= this.notifyAtOrAbove) this.onLevel(this);
  }

  private flushCredits(): void {
    if (this.ungranted === 0) return;
    const n = this.ungranted;
    this.ungranted = 0;
    this.credits.grant(n);
  }
}

/** How many items a count-bounded inbox moves out of its channel at a time (see `hand`). */
const HAND_SIZE = 32;

/**
 * The run's signal is not handed to the waits themselves: a run stops only through `abort()` (which
 * closes the credits and the channel and so wakes every waiter), and an abort listener added and
 * removed on every wait cost microseconds each, most of a blocked hand-off. A wait that would start
 * after the stop fails at once instead.
 */
function unlessStopped(signal: AbortSignal): undefined {
  if (signal.aborted) throw signal.reason;
  return undefined;
}
