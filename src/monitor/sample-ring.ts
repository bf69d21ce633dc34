/**
 * The last N samples of one partition (time, log end, committed offset) in typed arrays: 10,000
 * partitions × 60 samples stay a few megabytes and create no garbage per cycle. A missing commit is NaN.
 */
export class SampleRing {
  readonly t: Float64Array;
  readonly end: Float64Array;
  readonly committed: Float64Array;
  private head = 0; // next write position
  private size = 0;

  constructor(readonly capacity: number) {
    // One allocation for the three columns: at 10,000 partitions, one ArrayBuffer per column was
    // 20,000 more buffers, each with its own JS object, backing store and malloc block.
    const columns = new Float64Array(3 * capacity);
    this.t = columns.subarray(0, capacity);
    this.end = columns.subarray(capacity, 2 * capacity);
    this.committed = columns.subarray(2 * capacity);
  }

  push(t: number, end: number, committed: number | null): void {
    this.t[this.head] = t;
    this.end[this.head] = end;
    this.committed[this.head] = committed === null ? Number.NaN : committed;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  get length(): number {
    return this.size;
  }

  /** Physical index of the i-th sample, 0 = oldest kept. */
  index(i: number): number {
    return (this.head - this.size + i + this.capacity) % this.capacity;
  }

  /**
   * Copies the newest `n` samples (oldest first) into `t`, `end` and `committed` from index 0 (arrays
   * the caller reuses for every partition, so a cycle allocates nothing per window); returns how many.
   */
  windowInto(n: number, t: Float64Array, end: Float64Array, committed: Float64Array): number {
    const k = Math.min(n, this.size);
    for (let i = 0; i < k; i++) {
      const j = this.index(this.size - k + i);
      t[i] = this.t[j];
      end[i] = this.end[j];
      committed[i] = this.committed[j];
    }
    return k;
  }

  /** The newest `n` samples (oldest first) as plain arrays, for the window rules. */
  window(n: number): { t: number[]; end: number[]; committed: number[] } {
    const k = Math.min(n, this.size);
    const out = { t: new Array<number>(k), end: new Array<number>(k), committed: new Array<number>(k) };
    for (let i = 0; i < k; i++) {
      const j = this.index(this.size - k + i);
      out.t[i] = this.t[j];
      out.end[i] = this.end[j];
      out.committed[i] = this.committed[j];
    }
    return out;
  }
}

/**
 * Least-squares slope of y against t (per second) over points (t in ms), those in [from, to) (default:
 * all). Regression rather than first-to-last difference so one late or early sample does not swing the
 * rate. NaN points are skipped; fewer than two points give 0.
 */
export function slopePerSecond(
  t: ArrayLike<number>,
  y: ArrayLike<number>,
  from = 0,
  to: number = t.length,
): number {
  let n = 0;
  let st = 0;
  let sy = 0;
  for (let i = from; i < to; i++) {
    if (Number.isNaN(y[i])) continue;
    n++;
    st += t[i];
    sy += y[i];
  }
  if (n < 2) return 0;
  const mt = st / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (let i = from; i < to; i++) {
    if (Number.isNaN(y[i])) continue;
    const dt = t[i] - mt;
    num += dt * (y[i] - my);
    den += dt * dt;
  }
  return den === 0 ? 0 : (num / den) * 1000;
}
