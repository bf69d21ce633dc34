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
 * Column space for many rings of one width, carved from shared chunks. A typed array of its own per ring
 * costs an ArrayBuffer, a backing store and a malloc'd block each: 10,000 arrays of 70 samples took
 * 13.7 MB resident in a bare process against 5.9 MB as views of 1,024-column chunks, and the monitor's
 * process at 10,000 partitions is 2-4 MB smaller with the slab (docs/benchmarks.md, the lag monitor's
 * section). A released column goes to the next ring taken, so the slab stays as large as the most rings
 * alive at once.
 */
export class ColumnSlab {
  private chunk: Float64Array | null = null;
  private used = 0;
  private readonly released: Float64Array[] = [];

  constructor(
    readonly width: number,
    readonly columnsPerChunk = 1024,
  ) {}

  /** Columns handed out and not released. */
  inUse = 0;

  /** A zeroed column of `width` samples. */
  take(): Float64Array {
    this.inUse++;
    const reused = this.released.pop();
    if (reused) return reused.fill(0);
    if (this.chunk === null || this.used === this.columnsPerChunk) {
      this.chunk = new Float64Array(this.width * this.columnsPerChunk);
      this.used = 0;
    }
    const from = this.width * this.used++;
    return this.chunk.subarray(from, from + this.width);
  }

  /** Hands a column back; its ring must not be used again. */
  release(column: Float64Array): void {
    this.inUse--;
    this.released.push(column);
  }
}

/**
 * The last N samples of one partition (time, log end, committed offset) in one typed array: 10,000
 * partitions stay a few megabytes and create no garbage per cycle. A missing commit is NaN.
 *
 * The log ends are kept for `capacity` samples (interpolating lag in seconds looks that far back); the
 * committed offsets only for the newest `committedCapacity` (default: as many), since only the window
 * rules read them. At 10,000 partitions, 60 log ends and a 10-sample window cost 5.6 MB where two columns of
 * 60 cost 9.6 MB. The columns share one array, read by index: a view per column was two more objects per
 * partition.
 *
 * A monitor's rings take their columns from one {@link ColumnSlab} and release them when their partition
 * goes. Alone, a ring keeps its own times (`push(t, …)` ticks them). On a monitor's shared {@link SampleTimes},
 * `push` writes into the slot of the current tick; a ring that missed a tick starts its history over
 * (the monitor forgets a partition missing from a cycle anyway). Reads assume it was pushed this tick.
 */
export class SampleRing {
  /** Log ends at [0, capacity), committed offsets at [capacity, capacity + committedCapacity). */
  private readonly columns: Float64Array;
  private readonly times: SampleTimes;
  private readonly ownTimes: boolean;
  /** The tick of this ring's oldest sample that counts (-1: none yet), and of its newest. */
  private firstTick = -1;
  private lastTick = -1;
  private released = false;

  constructor(
    readonly capacity: number,
    shared?: SampleTimes,
    readonly committedCapacity: number = capacity,
    private readonly slab?: ColumnSlab,
  ) {
    if (shared && shared.capacity !== capacity)
      throw new Error(
        `SampleRing of ${capacity} samples on SampleTimes of ${shared.capacity}: make them equal`,
      );
    if (!(committedCapacity >= 1 && committedCapacity <= capacity))
      throw new Error(`SampleRing committedCapacity ${committedCapacity}: use 1..capacity (${capacity})`);
    this.times = shared ?? new SampleTimes(capacity);
    this.ownTimes = shared === undefined;
    if (slab && slab.width !== capacity + committedCapacity)
      throw new Error(
        `SampleRing of ${capacity} + ${committedCapacity} samples on a ColumnSlab of ${slab.width}: make them equal`,
      );
    this.columns = slab ? slab.take() : new Float64Array(capacity + committedCapacity);
  }

  /** Gives the ring's samples back to its slab (if it has one); the ring must not be used again. */
  release(): void {
    // Twice would hand one column to two rings.
    if (this.released) return;
    this.released = true;
    this.slab?.release(this.columns);
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
    this.columns[at] = end;
    this.columns[this.committedSlot(tick)] = committed === null ? Number.NaN : committed;
  }

  get length(): number {
    if (this.firstTick < 0) return 0;
    return Math.min(this.times.ticks - this.firstTick + 1, this.capacity);
  }

  /** When the i-th sample was taken, 0 = oldest kept. */
  timeOf(i: number): number {
    return this.times.t[this.index(i)];
  }

  /** The log end of the i-th sample, 0 = oldest kept. */
  endOf(i: number): number {
    return this.columns[this.index(i)];
  }

  /**
   * Copies the newest `n` samples (oldest first) into `t`, `end` and `committed` from index 0 (arrays
   * the caller reuses for every partition, so a cycle allocates nothing per window); returns how many:
   * at most `committedCapacity`, the samples whose commits are kept.
   */
  windowInto(n: number, t: Float64Array, end: Float64Array, committed: Float64Array): number {
    const size = this.length;
    const k = Math.min(n, size, this.committedCapacity);
    const newestTick = this.times.ticks;
    for (let i = 0; i < k; i++) {
      const j = this.index(size - k + i);
      t[i] = this.times.t[j];
      end[i] = this.columns[j];
      committed[i] = this.columns[this.committedSlot(newestTick - k + 1 + i)];
    }
    return k;
  }

  /** The newest `n` samples (oldest first, at most `committedCapacity`) as plain arrays. */
  window(n: number): { t: number[]; end: number[]; committed: number[] } {
    const k = Math.min(n, this.length, this.committedCapacity);
    const [t, end, committed] = [0, 1, 2].map(() => new Float64Array(k));
    this.windowInto(k, t, end, committed);
    return { t: Array.from(t), end: Array.from(end), committed: Array.from(committed) };
  }

  /** Physical index of the i-th sample in the time and log-end columns, 0 = oldest kept. */
  private index(i: number): number {
    return (this.times.head - this.length + 1 + i + this.capacity) % this.capacity;
  }

  /** Where the commit of tick `tick` (1 = the first) is kept. */
  private committedSlot(tick: number): number {
    return this.capacity + ((tick - 1) % this.committedCapacity);
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
