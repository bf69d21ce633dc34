import type { Clock } from '../flow/clock.js';
import { TokenBucket } from '../flow/token-bucket.js';
import type { ProduceQuotaConfig } from './config.js';

export type QuotaDecision =
  /** Appended. Throttle mode: how long the producer should be held back (0 when within quota). */
  | { admitted: true; throttleMs: number }
  /** Reject mode: refused for now, nothing charged; the buckets hold the batch in `retryAfterMs`. */
  | { admitted: false; reason: 'over-quota'; retryAfterMs: number }
  /** Reject mode: more than one second's allowance (the burst) in one batch: it can never fit. */
  | { admitted: false; reason: 'over-burst'; limit: 'records' | 'bytes'; burst: number; size: number };

/**
 * Per-partition produce quotas, in records/s and bytes/s, like a Kinesis shard's write limits. Each
 * partition has one bucket per limit holding one second of allowance (the burst).
 *
 * - `throttle` (Kafka's way): the write is always appended; going over quota puts the bucket in debt
 *   and the producer is told to wait until the debt is repaid (throttle_time_ms).
 * - `reject` (Kinesis' way): a write the buckets cannot cover now is refused and costs nothing; the
 *   decision says when the buckets will hold it. A batch larger than the burst could never be covered,
 *   so it is refused as such (as Kinesis refuses a PutRecords over its per-call limits) rather than let
 *   through whole.
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
      ['records', buckets.records, records],
      ['bytes', buckets.bytes, bytes],
    ].filter((e): e is ['records' | 'bytes', TokenBucket, number] => e[1] !== undefined);
    if (this.config.mode === 'reject') {
      const tooLarge = all.find(([, b, n]) => n > b.burst);
      if (tooLarge) {
        const [limit, b, size] = tooLarge;
        return { admitted: false, reason: 'over-burst', limit, burst: b.burst, size };
      }
      const retryAfterMs = Math.max(0, ...all.map(([, b, n]) => b.waitTimeMs(n)));
      if (retryAfterMs > 0) return { admitted: false, reason: 'over-quota', retryAfterMs };
      for (const [, b, n] of all) b.take(n);
      return { admitted: true, throttleMs: 0 };
    }
    // take() runs the bucket into debt and answers how long until it is repaid: the throttle time.
    return { admitted: true, throttleMs: Math.max(0, ...all.map(([, b, n]) => b.take(n))) };
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
