import type { Clock } from '../flow/clock.js';
import { KafkaClientError } from './errors.js';

/**
 * Exponential backoff spread by ±`jitter` around each delay, bounded by attempts and by a total deadline.
 * The random source is injectable so tests are deterministic.
 */
export interface RetryOptions {
  /** Attempts after the first (default 5). */
  retries?: number;
  /** First backoff in ms (default 100). */
  initialBackoffMs?: number;
  /** Cap on one backoff (default 1000). */
  maxBackoffMs?: number;
  /** Multiplier per attempt (default 2). */
  factor?: number;
  /** Give up once this much time passed since the first attempt (default: no deadline). */
  deadlineMs?: number;
  /** Fraction of the backoff that is randomised (0..1, default 0.2). */
  jitter?: number;
  random?: () => number;
}

export class RetryPolicy {
  readonly retries: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly factor: number;
  readonly deadlineMs: number;
  readonly jitter: number;
  private readonly random: () => number;

  constructor(options: RetryOptions = {}) {
    this.retries = options.retries ?? 5;
    this.initialBackoffMs = options.initialBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 1000;
    this.factor = options.factor ?? 2;
    this.deadlineMs = options.deadlineMs ?? Number.POSITIVE_INFINITY;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
    this.random = options.random ?? Math.random;
    if (this.retries < 0 || this.initialBackoffMs < 0 || this.factor < 1) {
      throw new RangeError('retry options: retries and initialBackoffMs must be >= 0 and factor >= 1');
    }
  }

  /** Backoff before retry number `attempt` (1-based). */
  backoffMs(attempt: number): number {
    const base = Math.min(this.maxBackoffMs, this.initialBackoffMs * this.factor ** (attempt - 1));
    const spread = base * this.jitter;
    return Math.round(base - spread + this.random() * 2 * spread);
  }

  /**
   * Runs `fn` until it succeeds, a non-retriable error is thrown, attempts run out or the deadline
   * passes. `onRetry` runs before each backoff (e.g. to refresh metadata).
   */
  async run<T>(
    clock: Clock,
    fn: (attempt: number) => Promise<T>,
    onRetry?: (err: unknown, attempt: number) => void | Promise<void>,
    signal?: AbortSignal,
  ): Promise<T> {
    const started = clock.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (err) {
        if (!isRetriable(err) || attempt >= this.retries) throw err;
        const wait = this.backoffMs(attempt + 1);
        if (clock.now() + wait - started > this.deadlineMs) throw err;
        await onRetry?.(err, attempt + 1);
        await clock.sleep(wait, signal);
      }
    }
  }
}

export function isRetriable(err: unknown): boolean {
  return err instanceof KafkaClientError && err.retriable;
}
