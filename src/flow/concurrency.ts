import { type AbortableWaiter, disarmAbort, leaveOnAbort, settleAll } from './abortable-waiter.js';
import { type Clock, realClock } from './clock.js';
import { FlowClosedError, requireNumber } from './errors.js';
import { RingBuffer } from './ring-buffer.js';

/** One finished request, as a limit algorithm sees it. */
export interface LimitSample {
  /** Round-trip time (ms). */
  rttMs: number;
  /** Requests in flight when this one started (including it). */
  inflight: number;
  /** The request was dropped, timed out or rejected by the dependency: a sign of overload. */
  dropped: boolean;
  /** When the request started (clock ms). Lets AIMD back off once per round trip, not once per sample. */
  startMs?: number;
}

/** An adaptive concurrency limit: it watches latency and drops and moves the limit. */
export interface ConcurrencyLimit {
  /** The current limit (whole number of requests in flight). */
  readonly limit: number;
  onSample(sample: LimitSample): void;
  /** Hears each change of the limit; returns the unsubscribe function. */
  onChange(listener: (limit: number) => void): () => void;
}

abstract class BaseLimit implements ConcurrencyLimit {
  protected current: number;
  private readonly listeners = new Set<(limit: number) => void>();

  constructor(initial: number) {
    this.current = initial;
  }

  get limit(): number {
    return this.current;
  }

  abstract onSample(sample: LimitSample): void;

  onChange(listener: (limit: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected set(next: number): void {
    if (next === this.current) return;
    this.current = next;
    for (const listener of this.listeners) listener(next);
  }
}

export interface AimdLimitOptions {
  initial?: number;
  min?: number;
  max?: number;
  /** Multiplier applied on overload (default 0.9). */
  backoffRatio?: number;
  /** A request slower than this counts as overload, like a drop (default: only drops count). */
  latencyThresholdMs?: number;
}

/**
 * Additive increase, multiplicative decrease (the TCP congestion-control rule): +1 while requests
 * succeed and the limit is actually being used, ×backoffRatio on a drop or a too-slow request. Like
 * TCP it backs off once per round trip: requests that started before the last decrease (their
 * `startMs` is earlier) were sent under the old limit and do not cut it again, otherwise one burst of
 * slow answers would collapse the limit to its minimum.
 */
export class AimdLimit extends BaseLimit {
  readonly min: number;
  readonly max: number;
  readonly backoffRatio: number;
  readonly latencyThresholdMs: number;
  private lastDecreaseAt = -Infinity;

  constructor(options: AimdLimitOptions = {}) {
    const min = requireNumber('AIMD limit: min', options.min ?? 1, { min: 1, integer: true });
    const max = requireNumber('AIMD limit: max', options.max ?? 200, { min, integer: true });
    const initial = requireNumber('AIMD limit: initial', options.initial ?? 20, { min, integer: true });
    super(Math.min(max, initial));
    this.min = min;
    this.max = max;
    this.backoffRatio = requireNumber('AIMD limit: backoffRatio', options.backoffRatio ?? 0.9, { min: 0.1 });
    if (this.backoffRatio >= 1) throw new RangeError('AIMD limit: backoffRatio must be below 1 (e.g. 0.9)');
    this.latencyThresholdMs = requireNumber(
      'AIMD limit: latencyThresholdMs',
      options.latencyThresholdMs ?? Infinity,
      {
        min: 0,
        allowInfinity: true,
      },
    );
  }

  onSample({ rttMs, inflight, dropped, startMs }: LimitSample): void {
    if (dropped || rttMs > this.latencyThresholdMs) {
      if (startMs !== undefined) {
        if (startMs < this.lastDecreaseAt) return; // sent under the old limit: already accounted for
        this.lastDecreaseAt = startMs + rttMs;
      }
      this.set(Math.max(this.min, Math.floor(this.current * this.backoffRatio)));
    } else if (inflight * 2 >= this.current) {
      // Only grow when at least half the limit is in use; otherwise the limit is not what holds us back.
      this.set(Math.min(this.max, this.current + 1));
    }
  }
}

export interface GradientLimitOptions {
  initial?: number;
  min?: number;
  max?: number;
  /** How much slower than the no-load latency is tolerated before backing off (default 1.5). */
  tolerance?: number;
  /** Weight of each new limit against the old one (default 0.2). */
  smoothing?: number;
  /**
   * Samples per baseline window (default 500). The no-load latency is the lowest latency seen in the
   * current and the previous window, so it follows a dependency that got slower for good within two
   * windows but does not drift up with the queueing the limit is meant to prevent.
   */
  baselineWindow?: number;
  /** Headroom added every sample so the limit can probe upwards (default: sqrt of the limit). */
  queueSize?: (limit: number) => number;
}

/**
 * Gradient limit (Vegas-style): compares each request's latency with the no-load latency (the lowest
 * recently seen). Latency above `tolerance` × no-load means requests are queueing somewhere, and the
 * limit shrinks in proportion (by at most half per sample); at or near the no-load latency it grows by
 * the queue-size headroom. Smoothing keeps one odd sample from swinging it.
 */
export class GradientLimit extends BaseLimit {
  readonly min: number;
  readonly max: number;
  private readonly tolerance: number;
  private readonly smoothing: number;
  private readonly baselineWindow: number;
  private readonly queueSize: (limit: number) => number;
  private exact: number;
  private windowMin = Infinity;
  private previousMin = Infinity;
  private samples = 0;

  constructor(options: GradientLimitOptions = {}) {
    const min = requireNumber('gradient limit: min', options.min ?? 1, { min: 1, integer: true });
    const max = requireNumber('gradient limit: max', options.max ?? 200, { min, integer: true });
    const initial = requireNumber('gradient limit: initial', options.initial ?? 20, { min, integer: true });
    super(Math.min(max, initial));
    this.exact = this.current;
    this.min = min;
    this.max = max;
    this.tolerance = requireNumber('gradient limit: tolerance', options.tolerance ?? 1.5, { min: 1 });
    this.smoothing = requireNumber('gradient limit: smoothing', options.smoothing ?? 0.2, { min: 0.01 });
    if (this.smoothing > 1) throw new RangeError('gradient limit: smoothing must be between 0.01 and 1');
    this.baselineWindow = requireNumber('gradient limit: baselineWindow', options.baselineWindow ?? 500, {
      min: 1,
      integer: true,
    });
    this.queueSize = options.queueSize ?? ((limit) => Math.max(1, Math.sqrt(limit)));
  }

  /** The no-load latency estimate (ms): the lowest latency of the current and previous window. */
  get baselineRttMs(): number {
    return Math.min(this.windowMin, this.previousMin);
  }

  onSample({ rttMs, inflight, dropped }: LimitSample): void {
    if (rttMs < this.windowMin) this.windowMin = rttMs;
    if (++this.samples % this.baselineWindow === 0) {
      this.previousMin = this.windowMin;
      this.windowMin = Infinity;
    }
    // Not using half the limit: latency says nothing about whether the limit is right.
    if (!dropped && inflight < this.current / 2) return;

    const baseline = this.baselineRttMs;
    const gradient = dropped
      ? 0.5
      : Math.max(0.5, Math.min(1, (this.tolerance * baseline) / Math.max(rttMs, Number.MIN_VALUE)));
    const target = this.exact * gradient + this.queueSize(this.exact);
    this.exact = Math.max(
      this.min,
      Math.min(this.max, this.exact * (1 - this.smoothing) + target * this.smoothing),
    );
    this.set(Math.floor(this.exact));
  }
}

/** Hands back what `acquire` took: say how the request went, exactly once. */
export interface LimiterRelease {
  /** Finished normally; its latency feeds the limit. */
  success(): void;
  /** Dropped, timed out or rejected downstream: the limit backs off. */
  dropped(): void;
  /** Finished in a way that says nothing about load (e.g. a validation error). */
  ignore(): void;
}

export interface LimiterOptions {
  limit: ConcurrencyLimit;
  clock?: Clock;
  /** Most callers allowed to wait for a slot; beyond it `acquire` rejects at once. Default unbounded. */
  maxWaiting?: number;
  /** How `run` classifies a thrown error. Default: every error is a drop. */
  classify?: (error: unknown) => 'dropped' | 'ignored';
}

/** Raised when a limiter's waiting line is full. */
export class LimitExceededError extends Error {
  override readonly name = 'LimitExceededError';
}

interface SlotWaiter extends AbortableWaiter {
  resolve: (release: LimiterRelease) => void;
  reject: (reason: unknown) => void;
}

/**
 * Gates async work by an adaptive limit: at most `limit.limit` in flight, the rest wait in FIFO order,
 * and every finished request reports its latency (and whether it was dropped) back to the limit.
 */
export class Limiter {
  readonly algorithm: ConcurrencyLimit;
  private readonly clock: Clock;
  private readonly maxWaiting: number;
  private readonly classify: (error: unknown) => 'dropped' | 'ignored';
  private readonly waiters = new RingBuffer<SlotWaiter>(4);
  private waiterCount = 0;
  private active = 0;
  private counts = { succeeded: 0, dropped: 0, ignored: 0, rejected: 0 };
  private closed = false;

  constructor(options: LimiterOptions) {
    this.algorithm = options.limit;
    this.clock = options.clock ?? realClock;
    this.maxWaiting = requireNumber('limiter: maxWaiting', options.maxWaiting ?? Infinity, {
      min: 0,
      allowInfinity: true,
    });
    this.classify = options.classify ?? (() => 'dropped');
    // A raised limit may let waiters in.
    this.algorithm.onChange(() => this.wake());
  }

  get limit(): number {
    return this.algorithm.limit;
  }

  get inflight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiterCount;
  }

  get stats(): { limit: number; inflight: number; waiting: number } & Limiter['counts'] {
    return { limit: this.limit, inflight: this.active, waiting: this.waiterCount, ...this.counts };
  }

  /** Takes a slot now if one is free. */
  tryAcquire(): LimiterRelease | undefined {
    if (this.closed || this.waiterCount > 0 || this.active >= this.algorithm.limit) return undefined;
    return this.grant();
  }

  /** Waits for a slot (FIFO). */
  acquire(signal?: AbortSignal): Promise<LimiterRelease> {
    if (this.closed) return Promise.reject(new FlowClosedError('limiter is closed'));
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    if (this.waiterCount >= this.maxWaiting) {
      this.counts.rejected++;
      return Promise.reject(
        new LimitExceededError(
          `concurrency limit ${this.limit} reached and ${this.waiterCount} callers already waiting; shed load or retry later`,
        ),
      );
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<LimiterRelease>((resolve, reject) => {
      const waiter: SlotWaiter = { settled: false, resolve, reject, signal, onAbort: undefined };
      leaveOnAbort(waiter, (reason) => {
        this.waiterCount--;
        reject(reason);
      });
      this.waiters.push(waiter);
      this.waiterCount++;
    });
  }

  /** Runs `fn` inside a slot, timing it and reporting success or drop to the limit. */
  async run<T>(fn: () => Promise<T> | T, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      if (this.classify(err) === 'ignored') release.ignore();
      else release.dropped();
      throw err;
    }
    release.success();
    return result;
  }

  /** Rejects every waiter and every later acquire. */
  close(): void {
    this.closed = true;
    settleAll(this.waiters, (w) => {
      this.waiterCount--;
      w.reject(new FlowClosedError('limiter is closed'));
    });
  }

  private grant(): LimiterRelease {
    this.active++;
    const inflight = this.active;
    const started = this.clock.now();
    let done = false;
    const finish = (outcome: 'succeeded' | 'dropped' | 'ignored') => {
      if (done) return;
      done = true;
      this.active--;
      this.counts[outcome]++;
      if (outcome !== 'ignored') {
        this.algorithm.onSample({
          rttMs: this.clock.now() - started,
          inflight,
          dropped: outcome === 'dropped',
          startMs: started,
        });
      }
      this.wake();
    };
    return {
      success: () => finish('succeeded'),
      dropped: () => finish('dropped'),
      ignore: () => finish('ignored'),
    };
  }

  private wake(): void {
    while (this.waiterCount > 0 && this.active < this.algorithm.limit) {
      const w = this.waiters.shift()!;
      if (w.settled) continue;
      w.settled = true;
      this.waiterCount--;
      disarmAbort(w);
      w.resolve(this.grant());
    }
  }
}
