/**
 * Which offset of one partition may be committed. Records are tracked in the order they were taken
 * from the fetch; they may complete in any order. The committable offset is the first record not yet
 * completed (everything before it is done), or, with nothing pending, the position the fetch reached
 * (which also steps over offsets that carried no record: transaction markers, compacted holes).
 *
 * Completed records behind a still-pending one are "deferred": their offsets cannot be committed yet,
 * and a runtime that keeps fetching while one record is stuck grows this set without bound. The count
 * is exposed so the runtime can cap it (pause the partition until the gap closes).
 */
import { RingBuffer } from '../flow/ring-buffer.js';

export interface TrackedOffset {
  readonly offset: bigint;
  done: boolean;
}

export class OffsetTracker {
  private readonly pending = new RingBuffer<TrackedOffset>(64);
  private reached: bigint | null;
  private doneBehindGap = 0;
  private lastTracked: bigint | null = null;
  private passed = 0;

  /** `start`: the position fetching starts from, when known. */
  constructor(start: bigint | null = null) {
    this.reached = start;
  }

  /** Starts tracking a record just taken from a fetch (offsets must increase). */
  track(offset: bigint): TrackedOffset {
    if (this.lastTracked !== null && offset <= this.lastTracked) {
      throw new RangeError(
        `offset tracker: offset ${offset} is not after the last tracked offset ${this.lastTracked}`,
      );
    }
    this.lastTracked = offset;
    const entry: TrackedOffset = { offset, done: false };
    this.pending.push(entry);
    if (this.reached === null || offset + 1n > this.reached) this.reached = offset + 1n;
    return entry;
  }

  /**
   * The fetch position moved to `next` (after the last record taken, or past records that carried
   * nothing). Never moves backwards past a tracked record.
   */
  advanceTo(next: bigint): void {
    if (this.reached === null || next > this.reached) this.reached = next;
  }

  /** Marks a tracked record completed. */
  complete(entry: TrackedOffset): void {
    if (entry.done) return;
    entry.done = true;
    if (this.pending.peek() !== entry) {
      this.doneBehindGap++;
      return;
    }
    this.pending.shift();
    this.passed++;
    for (let head = this.pending.peek(); head?.done; head = this.pending.peek()) {
      this.pending.shift();
      this.passed++;
      this.doneBehindGap--;
    }
  }

  /** The offset to commit (next record to read), or null while nothing is known. */
  get committable(): bigint | null {
    const head = this.pending.peek();
    return head ? head.offset : this.reached;
  }

  /**
   * Records that ever moved below the committable offset (monotonic): the difference between two
   * readings is how many records a commit between them covers.
   */
  get released(): number {
    return this.passed;
  }

  /** Completed records that cannot be committed because an earlier one is still pending. */
  get deferred(): number {
    return this.doneBehindGap;
  }

  /** Records tracked and not yet committable (pending plus deferred). */
  get size(): number {
    return this.pending.length;
  }

  /** The highest offset ever tracked (records at or below it were already taken). */
  get last(): bigint | null {
    return this.lastTracked;
  }

  /** The offset of the oldest pending record: the gap holding commits back, if any. */
  get gapAt(): bigint | null {
    return this.pending.peek()?.offset ?? null;
  }
}
