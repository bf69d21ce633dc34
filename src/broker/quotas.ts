import type { Clock } from '../flow/clock.js';
import { TokenBucket } from '../flow/token-bucket.js';
import type { ProduceQuotaConfig } from './config.js';

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
  private readonly partitions = new Map<string, { records?: TokenBucket; bytes?: TokenBucket }>();

  constructor(
    readonly config: ProduceQuotaConfig,
    private readonly clock: Clock,
  ) {}

  get mode(): ProduceQuotaConfig['mode'] {
    return this.config.mode;
  }

  check(topic: string, partition: number, records: number, bytes: number): QuotaDecision {
    const buckets = this.bucketsFor(topic, partition);
    const all = [
      [buckets.records, records],
      [buckets.bytes, bytes],
    ].filter((e): e is [TokenBucket, number] => e[0] !== undefined);
    if (this.config.mode === 'reject') {
      const fits = all.every(([b, n]) => b.available >= n || b.available >= b.burst);
      if (!fits) return { admitted: false, throttleMs: 0 };
      for (const [b, n] of all) b.take(n);
      return { admitted: true, throttleMs: 0 };
    }
    // take() runs the bucket into debt and answers how long until it is repaid: the throttle time.
    return { admitted: true, throttleMs: Math.max(0, ...all.map(([b, n]) => b.take(n))) };
  }

  /** Forgets a partition's buckets (topic deleted). */
  forgetTopic(topic: string): void {
    for (const key of this.partitions.keys())
      if (key.startsWith(`${topic}\u0000`)) this.partitions.delete(key);
  }

  private bucketsFor(topic: string, partition: number) {
    const key = `${topic}\u0000${partition}`;
    let b = this.partitions.get(key);
    if (!b) {
      const { recordsPerSecond: r, bytesPerSecond: y } = this.config;
      b = {
        records: r === undefined ? undefined : this.bucket(r),
        bytes: y === undefined ? undefined : this.bucket(y),
      };
      this.partitions.set(key, b);
    }
    return b;
  }

  /** One second of allowance; at least one unit, so a rate below 1/s still admits a single write. */
  private bucket(perSecond: number): TokenBucket {
    return new TokenBucket({ ratePerSec: perSecond, burst: Math.max(1, perSecond), clock: this.clock });
  }
}
