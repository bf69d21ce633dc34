import type { Clock } from '../flow/clock.js';
import type { ProduceQuotaConfig } from './config.js';

/** A refill-on-read token bucket that may run into debt (negative tokens) when a caller forces a take. */
class Bucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  refill(now: number): void {
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000);
  }

  get available(): number {
    return this.tokens;
  }

  get full(): boolean {
    return this.tokens >= this.capacity;
  }

  take(n: number): void {
    this.tokens -= n;
  }

  /** Milliseconds until the debt (if any) is paid back. */
  debtMs(): number {
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.ratePerSecond);
  }
}

export interface QuotaDecision {
  /** False only in reject mode: the write must not be appended. */
  admitted: boolean;
  /** Throttle mode: how long the producer should be held back (0 when within quota). */
  throttleMs: number;
}

/**
 * Per-partition produce quotas, in records/s and bytes/s, like a Kinesis shard's write limits. Each
 * partition has one bucket per limit holding one second of allowance (the burst).
 *
 * - `throttle` (Kafka's way): the write is always appended; going over quota puts the bucket in debt
 *   and the producer is told to wait until the debt is repaid (throttle_time_ms).
 * - `reject` (Kinesis' way): a write the buckets cannot cover is refused with a retriable error and
 *   costs nothing. A batch larger than a whole second's allowance is let through when the buckets are
 *   full (and repaid as debt), or it could never be written at all.
 */
export class ProduceQuotas {
  private readonly partitions = new Map<string, { records?: Bucket; bytes?: Bucket }>();

  constructor(
    readonly config: ProduceQuotaConfig,
    private readonly clock: Clock,
  ) {}

  get mode(): ProduceQuotaConfig['mode'] {
    return this.config.mode;
  }

  check(topic: string, partition: number, records: number, bytes: number): QuotaDecision {
    const now = this.clock.now();
    const buckets = this.bucketsFor(topic, partition, now);
    const all = [
      [buckets.records, records],
      [buckets.bytes, bytes],
    ].filter((e): e is [Bucket, number] => e[0] !== undefined);
    for (const [b] of all) b.refill(now);
    if (this.config.mode === 'reject') {
      const fits = all.every(([b, n]) => b.available >= n || b.full);
      if (!fits) return { admitted: false, throttleMs: 0 };
      for (const [b, n] of all) b.take(n);
      return { admitted: true, throttleMs: 0 };
    }
    for (const [b, n] of all) b.take(n);
    return { admitted: true, throttleMs: Math.max(0, ...all.map(([b]) => b.debtMs())) };
  }

  /** Forgets a partition's buckets (topic deleted). */
  forgetTopic(topic: string): void {
    for (const key of this.partitions.keys())
      if (key.startsWith(`${topic}\u0000`)) this.partitions.delete(key);
  }

  private bucketsFor(topic: string, partition: number, now: number) {
    const key = `${topic}\u0000${partition}`;
    let b = this.partitions.get(key);
    if (!b) {
      const { recordsPerSecond: r, bytesPerSecond: y } = this.config;
      b = {
        records: r === undefined ? undefined : new Bucket(r, r, now),
        bytes: y === undefined ? undefined : new Bucket(y, y, now),
      };
      this.partitions.set(key, b);
    }
    return b;
  }
}
