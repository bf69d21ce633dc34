/**
 * A fixed-memory latency histogram with logarithmic buckets (about 5% relative error), so a long
 * run's latencies cost the same memory as a short one's.
 */
export class LatencyHistogram {
  private static readonly GROWTH = 1.05;
  private static readonly PER_LOG_GROWTH = 1 / Math.log(LatencyHistogram.GROWTH);
  private readonly buckets = new Float64Array(600);
  private countValue = 0;
  private sumValue = 0;
  private maxValue = 0;
  private minValue = Number.POSITIVE_INFINITY;
  /**
   * The last value's bucket: the engine's sink reads the clock every 32 items and sources stamp items
   * in bursts, so runs of equal latencies are the rule and skip the logarithm.
   */
  private lastValue = Number.NaN;
  private lastBucket = 0;

  record(ms: number): void {
    const v = Math.max(0, ms);
    if (v !== this.lastValue) {
      this.lastValue = v;
      this.lastBucket = this.bucketOf(v);
    }
    this.buckets[this.lastBucket]++;
    this.countValue++;
    this.sumValue += v;
    if (v > this.maxValue) this.maxValue = v;
    if (v < this.minValue) this.minValue = v;
  }

  get count(): number {
    return this.countValue;
  }

  get max(): number {
    return this.maxValue;
  }

  get mean(): number {
    return this.countValue === 0 ? 0 : this.sumValue / this.countValue;
  }

  /** The latency under which a `q` share (0..1) of the recorded values fall. */
  quantile(q: number): number {
    if (this.countValue === 0) return 0;
    const rank = Math.ceil(q * this.countValue);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return Math.min(this.maxValue, Math.max(this.minValue, this.upperBound(i)));
    }
    return this.maxValue;
  }

  private bucketOf(v: number): number {
    if (v < 1) return 0;
    const i = 1 + Math.floor(Math.log(v) * LatencyHistogram.PER_LOG_GROWTH);
    return Math.min(this.buckets.length - 1, i);
  }

  private upperBound(i: number): number {
    return i === 0 ? 1 : LatencyHistogram.GROWTH ** i;
  }
}
