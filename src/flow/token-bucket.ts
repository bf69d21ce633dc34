import { type Clock, realClock } from './clock.js';
import { requireNumber } from './errors.js';

export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSec: number;
  /** Most tokens the bucket holds: the largest burst admitted at once. */
  burst: number;
  /** Tokens at the start; default a full bucket. */
  initial?: number;
  clock?: Clock;
}

/**
 * A token bucket: sustained rate `ratePerSec`, bursts up to `burst`. Tokens are kept in
 * token·milliseconds so that with whole-millisecond clocks and whole-number rates the refill is
 * integer arithmetic and does not drift over long runs.
 */
export class TokenBucket {
  readonly ratePerSec: number;
  readonly burst: number;
  private readonly clock: Clock;
  /** Tokens × 1000; may go negative while reservations from `take` are outstanding. */
  private scaled: number;
  private last: number;

  constructor(options: TokenBucketOptions) {
    this.ratePerSec = requireNumber('token bucket: ratePerSec', options.ratePerSec, { min: 0 });
    if (this.ratePerSec <= 0) throw new RangeError('token bucket: ratePerSec must be above 0');
    this.burst = requireNumber('token bucket: burst', options.burst, { min: 1 });
    const initial = requireNumber('token bucket: initial', options.initial ?? this.burst, { min: 0 });
    this.scaled = Math.min(initial, this.burst) * 1000;
    this.clock = options.clock ?? realClock;
    this.last = this.clock.now();
  }

  /** Whole and fractional tokens available now (negative while reservations are outstanding). */
  get available(): number {
    this.refill();
    return this.scaled / 1000;
  }

  /** Takes `n` tokens if they are there now; never waits, never goes into debt. */
  tryTake(n = 1): boolean {
    this.refill();
    const need = n * 1000;
    if (this.scaled < need) return false;
    this.scaled -= need;
    return true;
  }

  /**
   * Reserves `n` tokens and returns how many ms the caller must wait before using them (0: admitted
   * now). Reservations queue up: each later caller waits behind the earlier ones.
   */
  take(n = 1): number {
    requireNumber('token bucket: take', n, { min: 0 });
    this.refill();
    this.scaled -= n * 1000;
    return this.scaled >= 0 ? 0 : Math.ceil(-this.scaled / this.ratePerSec);
  }

  /** How many ms until `n` tokens would be available (0 if they are now), without taking any. */
  waitTimeMs(n = 1): number {
    this.refill();
    const deficit = n * 1000 - this.scaled;
    return deficit <= 0 ? 0 : Math.ceil(deficit / this.ratePerSec);
  }

  /** Takes `n` tokens, sleeping on the clock if it has to. */
  async acquire(n = 1, signal?: AbortSignal): Promise<void> {
    const wait = this.take(n);
    if (wait > 0) {
      try {
        await this.clock.sleep(wait, signal);
      } catch (err) {
        this.scaled += n * 1000; // give the reservation back
        throw err;
      }
    }
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) {
      this.scaled = Math.min(this.burst * 1000, this.scaled + (now - this.last) * this.ratePerSec);
      this.last = now;
    }
  }
}
