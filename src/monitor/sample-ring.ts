/**
 * The sample times of every partition of a monitor: each collection cycle samples all partitions at one
 * instant, so one time column serves them all (at 10,000 partitions × 60 samples, a column per
 * partition was 4.8 MB of the same numbers). `tick(now)` opens a cycle's slot.
 */
export class SampleTimes {
  readonly t: Float64Array;
  /** Slot of the newest tick (-1 before the first). */
  head = -1;
  /** Ticks so far. */
  ticks = 0;

  constructor(readonly capacity: number) {
    this.t = new Float64Array(capacity);
  }

  tick(now: number): void {
    this.head = (this.head + 1) % this.capacity;
    this.t[this.head] = now;
    this.ticks++;
  }
}

/**
 * The last N samples of one partition (time, log end, committed offset) in typed arrays: 10,000
 * partitions × 60 samples stay a few megabytes and create no garbage per cycle. A missing commit is NaN.
 *
 * Alone, a ring keeps its own times (`push(t, …)` ticks them). On a monitor's shared {@link SampleTimes},
 * `push` writes into the slot of the current tick; a ring that missed a tick starts its history over
 * (the monitor forgets a partition missing from a cycle anyway). Reads assume it was pushed this tick.
 */
export class SampleRing {
  readonly t: Float64Array;
  readonly end: Float64Array;
  readonly committed: Float64Array;
  private readonly times: SampleTimes;
  private readonly ownTimes: boolean;
  /** The tick of this ring's oldest sample that counts (-1: none yet), and of its newest. */
  private firstTick = -1;
  private lastTick = -1;

  constructor(
    readonly capacity: number,
    shared?: SampleTimes,
  ) {
    if (shared && shared.capacity !== capacity)
      throw new Error(
        `SampleRing of ${capacity} samples on SampleTimes of ${shared.capacity}: make them equal`,
      );
    this.times = shared ?? new SampleTimes(capacity);
    this.ownTimes = shared === undefined;
    this.t = this.times.t;
    // One allocation for the two columns: at 10,000 partitions, one ArrayBuffer per column was
    // 10,000 more buffers, each with its own JS object, backing store and malloc block.
    const columns = new Float64Array(2 * capacity);
    this.end = columns.subarray(0, capacity);
    this.committed = columns.subarray(capacity);
  }

  /** Adds a sample; on shared times `t` is the current tick's time already there. */
  push(t: number, end: number, committed: number | null): void {
    if (this.ownTimes) this.times.tick(t);
    const at = this.times.head;
    if (at < 0) throw new Error('SampleRing.push on shared SampleTimes before their first tick()');
    const tick = this.times.ticks;
    // A tick missed (a cycle that failed half-way) leaves a slot of another time: start over from here.
    if (this.firstTick < 0 || (tick !== this.lastTick && tick !== this.lastTick + 1)) this.firstTick = tick;
    this.lastTick = tick;
    this.end[at] = end;
    this.committed[at] = committed === null ? Number.NaN : committed;
  }

  get length(): number {
    if (this.firstTick < 0) return 0;
    return Math.min(this.times.ticks - this.firstTick + 1, this.capacity);
  }

  /** Physical index of the i-th sample, 0 = oldest kept. */
  index(i: number): number {
    return (this.times.head - this.length + 1 + i + this.capacity) % this.capacity;
  }

  /**
   * Copies the newest `n` samples (oldest first) into `t`, `end` and `committed` from index 0 (arrays
   * the caller reuses for every partition, so a cycle allocates nothing per window); returns how many.
   */
  windowInto(n: number, t: Float64Array, end: Float64Array, committed: Float64Array): number {
    const size = this.length;
    const k = Math.min(n, size);
    for (let i = 0; i < k; i++) {
      const j = this.index(size - k + i);
      t[i] = this.t[j];
      end[i] = this.end[j];
      committed[i] = this.committed[j];
    }
    return k;
  }

  /** The newest `n` samples (oldest first) as plain arrays, for the window rules. */
  window(n: number): { t: number[]; end: number[]; committed: number[] } {
    const size = this.length;
    const k = Math.min(n, size);
    const out = { t: new Array<number>(k), end: new Array<number>(k), committed: new Array<number>(k) };
    for (let i = 0; i < k; i++) {
      const j = this.index(size - k + i);
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
