import { type AbortableWaiter, disarmAbort, leaveOnAbort, settleAll } from './abortable-waiter.js';
import { FlowClosedError, requireNumber } from './errors.js';
import { RingBuffer } from './ring-buffer.js';

interface CreditWaiter extends AbortableWaiter {
  n: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
}

export interface CreditsOptions {
  /** Credits granted up front (the receiver's initial window). Default 0: nothing moves until granted. */
  initial?: number;
  /** Upper bound on banked credits; grants beyond it are capped. Default unbounded. */
  max?: number;
  name?: string;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Credit-based flow control: the receiver grants credits, the sender spends one per item (or per
 * byte) and waits when it has none. Nothing moves without credit, so the receiver's pace, not the
 * sender's, decides how much is in flight. A counting semaphore with FIFO waiters: a large request at
 * the head is not starved by small ones behind it.
 */
export class Credits {
  readonly name: string;
  readonly max: number;
  private banked: number;
  private readonly waiters = new RingBuffer<CreditWaiter>(4);
  private waiterCount = 0;
  private closedWith: Error | undefined;
  private granted = 0;
  private spent = 0;

  constructor(options: CreditsOptions | number = {}) {
    const opts = typeof options === 'number' ? { initial: options } : options;
    this.name = opts.name ?? 'credits';
    this.max = requireNumber(`credits "${this.name}": max`, opts.max ?? Infinity, {
      min: 1,
      allowInfinity: true,
    });
    this.banked = Math.min(
      this.max,
      requireNumber(`credits "${this.name}": initial`, opts.initial ?? 0, { min: 0 }),
    );
  }

  /** Credits that can be spent right now. */
  get available(): number {
    return this.banked;
  }

  /** Number of acquirers waiting. */
  get waiting(): number {
    return this.waiterCount;
  }

  get stats(): { available: number; waiting: number; granted: number; spent: number } {
    return { available: this.banked, waiting: this.waiterCount, granted: this.granted, spent: this.spent };
  }

  /** Takes `n` credits if they are available and nobody is queued ahead; never waits. */
  tryAcquire(n = 1): boolean {
    this.checkRequest(n);
    if (this.closedWith) throw this.closedWith;
    if (this.waiterCount > 0 || this.banked < n) return false;
    this.banked -= n;
    this.spent += n;
    return true;
  }

  /** Takes `n` credits, waiting (in FIFO order) until the receiver has granted enough. */
  acquire(n = 1, signal?: AbortSignal): Promise<void> {
    try {
      this.checkRequest(n);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.waiterCount === 0 && this.banked >= n) {
      this.banked -= n;
      this.spent += n;
      return RESOLVED;
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: CreditWaiter = { n, settled: false, resolve, reject, signal, onAbort: undefined };
      leaveOnAbort(waiter, (reason) => {
        this.waiterCount--;
        reject(reason);
        // The aborted waiter may have been the one holding smaller requests back.
        this.wake();
      });
      this.waiters.push(waiter);
      this.waiterCount++;
    });
  }

  /**
   * Takes as many credits as are available, up to `max`, without waiting; returns how many it took
   * (0 when none are free or others are queued). E.g. a fetch sized to what the sink can take now.
   */
  tryAcquireUpTo(max: number): number {
    this.checkCount('tryAcquireUpTo', max, 0);
    if (this.closedWith) throw this.closedWith;
    if (this.waiterCount > 0) return 0;
    const n = Math.min(max, Math.floor(this.banked));
    this.banked -= n;
    this.spent += n;
    return n;
  }

  /** Waits until at least one credit is free, then takes as many as are available, up to `max`. */
  async acquireUpTo(max: number, signal?: AbortSignal): Promise<number> {
    requireNumber(`credits "${this.name}": acquireUpTo`, max, { min: 1 });
    const now = this.tryAcquireUpTo(max);
    if (now > 0) return now;
    await this.acquire(1, signal);
    return 1 + this.tryAcquireUpTo(max - 1);
  }

  /** The receiver hands out `n` more credits; waiters are served oldest first. */
  grant(n: number): void {
    this.checkCount('grant', n, 0);
    this.granted += n;
    this.banked = Math.min(this.max, this.banked + n);
    this.wake();
  }

  /** Takes back up to `n` unspent credits (the receiver shrinks its window); returns how many it got. */
  revoke(n: number): number {
    const taken = Math.min(this.banked, requireNumber(`credits "${this.name}": revoke`, n, { min: 0 }));
    this.banked -= taken;
    return taken;
  }

  /** Fails every waiter and every later acquire (shutdown). */
  close(reason: Error = new FlowClosedError(`credits "${this.name}" were closed`)): void {
    if (this.closedWith) return;
    this.closedWith = reason;
    settleAll(this.waiters, (w) => {
      this.waiterCount--;
      w.reject(reason);
    });
  }

  /**
   * requireNumber's check of a count, its message built only when the count is wrong: these run for
   * every hand-off in the engine, where the message string and options object were per-call garbage.
   */
  private checkCount(what: string, n: number, min: number): void {
    if (typeof n === 'number' && Number.isFinite(n) && n >= min) return;
    requireNumber(`credits "${this.name}": ${what}`, n, { min });
  }

  private checkRequest(n: number): void {
    this.checkCount('acquire', n, 0);
    if (n > this.max) {
      throw new RangeError(
        `credits "${this.name}": cannot acquire ${n}, more than the most ever banked (${this.max})`,
      );
    }
  }

  private wake(): void {
    while (this.waiters.length > 0) {
      const head = this.waiters.peek()!;
      if (head.settled) {
        this.waiters.shift();
        continue;
      }
      if (this.banked < head.n) return;
      this.waiters.shift();
      head.settled = true;
      this.waiterCount--;
      this.banked -= head.n;
      this.spent += head.n;
      disarmAbort(head);
      head.resolve();
    }
  }
}
