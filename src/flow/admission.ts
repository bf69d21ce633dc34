import { requireNumber } from './errors.js';
import type { TokenBucket } from './token-bucket.js';

/** Work classes, shed from the bottom up: optional work goes first, critical work last. */
export type Priority = 'critical' | 'normal' | 'optional';
export const PRIORITIES: readonly Priority[] = ['critical', 'normal', 'optional'];

/** What the gate looks at. Any subset; the ones without a configured limit are ignored. */
export interface AdmissionSignals {
  /** Items queued in front of the work (e.g. a channel's depth). */
  queueDepth?: number;
  /** Consumer lag in events. */
  lag?: number;
  /** Age of the oldest unprocessed item (ms). */
  oldestAgeMs?: number;
}

/** Every reason a gate can refuse for (the lab's 429 counter starts each at 0). */
export const REJECT_REASONS = ['queue-depth', 'lag', 'freshness', 'rate'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type AdmissionDecision =
  | { admitted: true; priority: Priority; pressure: number }
  | {
      admitted: false;
      priority: Priority;
      pressure: number;
      reason: RejectReason;
      /** When to try again (map to HTTP 429 + Retry-After, rounded up to whole seconds). */
      retryAfterMs: number;
      message: string;
    };

export interface AdmissionGateOptions {
  maxQueueDepth?: number;
  maxLag?: number;
  /** Freshness budget: how old the oldest waiting item may get (ms). */
  freshnessBudgetMs?: number;
  /** Optional rate limit; every admitted request takes one token (critical work is exempt). */
  bucket?: TokenBucket;
  /**
   * Fraction of each limit at which a class starts being shed. Defaults: optional 0.5, normal 0.8,
   * critical 1.0 (critical work is refused only once a limit is actually reached).
   */
  shedAt?: Partial<Record<Priority, number>>;
  /** How fast the backlog drains (items/s), to say how long until there is room again. */
  drainRatePerSec?: number;
  /** Retry-After bounds. Defaults 100 ms and 60 s. */
  minRetryAfterMs?: number;
  maxRetryAfterMs?: number;
  /** Reads the current signals when `admit` is called without them. */
  signals?: () => AdmissionSignals;
}

/** The value of an HTTP `Retry-After` header for a refusal: whole seconds, at least 1. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}

interface Pressure {
  value: number;
  reason: RejectReason;
  limit: number;
  level: number;
}

/**
 * Admission control at the edge: admit or refuse work from the signals that say the system is behind
 * (queue depth, lag, age of the oldest item against a freshness budget, a rate limit), shedding
 * optional work before normal work before critical work, and telling the refused when to come back.
 */
export class AdmissionGate {
  private readonly opts: AdmissionGateOptions;
  private readonly shedAt: Record<Priority, number>;
  private readonly minRetry: number;
  private readonly maxRetry: number;
  private readonly counts = {
    admitted: { critical: 0, normal: 0, optional: 0 } as Record<Priority, number>,
    rejected: { critical: 0, normal: 0, optional: 0 } as Record<Priority, number>,
  };

  constructor(options: AdmissionGateOptions) {
    this.opts = { ...options };
    for (const key of ['maxQueueDepth', 'maxLag', 'freshnessBudgetMs', 'drainRatePerSec'] as const) {
      const v = options[key];
      if (v !== undefined) requireNumber(`admission gate: ${key}`, v, { min: 0 });
    }
    this.shedAt = { optional: 0.5, normal: 0.8, critical: 1.0, ...options.shedAt };
    for (const p of PRIORITIES) {
      const f = requireNumber(`admission gate: shedAt.${p}`, this.shedAt[p], { min: 0 });
      if (f > 1)
        throw new RangeError(`admission gate: shedAt.${p} is a fraction of the limit (0..1), got ${f}`);
    }
    if (this.shedAt.optional > this.shedAt.normal || this.shedAt.normal > this.shedAt.critical) {
      throw new RangeError(
        'admission gate: shedAt must shed optional work first: optional <= normal <= critical',
      );
    }
    this.minRetry = requireNumber('admission gate: minRetryAfterMs', options.minRetryAfterMs ?? 100, {
      min: 0,
    });
    this.maxRetry = requireNumber('admission gate: maxRetryAfterMs', options.maxRetryAfterMs ?? 60_000, {
      min: this.minRetry,
    });
  }

  get stats(): { admitted: Record<Priority, number>; rejected: Record<Priority, number> } {
    return { admitted: { ...this.counts.admitted }, rejected: { ...this.counts.rejected } };
  }

  /** Decides one request. Pass the signals, or configure `signals` to have the gate read them. */
  admit(priority: Priority = 'normal', signals?: AdmissionSignals): AdmissionDecision {
    if (!PRIORITIES.includes(priority)) {
      throw new RangeError(
        `admission gate: unknown priority ${JSON.stringify(priority)}; use ${PRIORITIES.join(', ')}`,
      );
    }
    const s = signals ?? this.opts.signals?.() ?? {};
    const worst = this.worstPressure(s);
    const threshold = this.shedAt[priority];
    if (worst && worst.value >= threshold) {
      return this.reject(priority, worst, threshold);
    }
    const pressure = worst?.value ?? 0;
    const bucket = this.opts.bucket;
    if (bucket && priority !== 'critical' && !bucket.tryTake(1)) {
      const retryAfterMs = this.clampRetry(bucket.waitTimeMs(1));
      this.counts.rejected[priority]++;
      return {
        admitted: false,
        priority,
        pressure,
        reason: 'rate',
        retryAfterMs,
        message: `over the rate limit of ${bucket.ratePerSec}/s (burst ${bucket.burst}); retry in ${retryAfterMs} ms`,
      };
    }
    this.counts.admitted[priority]++;
    return { admitted: true, priority, pressure };
  }

  /** Pressure as a fraction of the nearest limit (1 = at a limit), and which signal it is. */
  pressure(signals?: AdmissionSignals): number {
    return this.worstPressure(signals ?? this.opts.signals?.() ?? {})?.value ?? 0;
  }

  private worstPressure(s: AdmissionSignals): Pressure | undefined {
    let worst: Pressure | undefined;
    const consider = (level: number | undefined, limit: number | undefined, reason: RejectReason) => {
      if (level === undefined || limit === undefined) return;
      const value = limit === 0 ? (level > 0 ? Infinity : 0) : level / limit;
      if (!worst || value > worst.value) worst = { value, reason, limit, level };
    };
    consider(s.queueDepth, this.opts.maxQueueDepth, 'queue-depth');
    consider(s.lag, this.opts.maxLag, 'lag');
    consider(s.oldestAgeMs, this.opts.freshnessBudgetMs, 'freshness');
    return worst;
  }

  private reject(priority: Priority, p: Pressure, threshold: number): AdmissionDecision {
    this.counts.rejected[priority]++;
    // Excess over this class's threshold, in the signal's own unit.
    const excess = p.level - threshold * p.limit;
    let retryAfterMs: number;
    if (p.reason === 'freshness') retryAfterMs = excess;
    else if (this.opts.drainRatePerSec) retryAfterMs = (excess / this.opts.drainRatePerSec) * 1000;
    else retryAfterMs = 1000;
    retryAfterMs = this.clampRetry(retryAfterMs);
    const what =
      p.reason === 'queue-depth'
        ? `queue depth ${p.level} of ${p.limit}`
        : p.reason === 'lag'
          ? `lag ${p.level} of ${p.limit}`
          : `oldest item ${Math.round(p.level)} ms old, budget ${p.limit} ms`;
    return {
      admitted: false,
      priority,
      pressure: p.value,
      reason: p.reason,
      retryAfterMs,
      message: `${priority} work is shed at ${Math.round(threshold * 100)}% of a limit: ${what}; retry in ${retryAfterMs} ms`,
    };
  }

  private clampRetry(ms: number): number {
    return Math.ceil(Math.min(this.maxRetry, Math.max(this.minRetry, ms)));
  }
}
