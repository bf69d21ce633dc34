/**
 * A growable circular queue. `Array.prototype.shift` is O(n) on large arrays and makes a busy queue
 * quadratic; this stays O(1) per operation and grows by doubling (power-of-two sizes keep the index
 * arithmetic to a mask).
 */
export class RingBuffer<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;
  private mask: number;

  constructor(initialCapacity = 16) {
    let size = 4;
    while (size < initialCapacity) size *= 2;
    this.items = new Array(size);
    this.mask = size - 1;
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & this.mask] = item;
    this.count++;
  }

  /** Appends `count` items of `list` starting at `from` (one bounds check instead of one per item). */
  pushMany(list: readonly T[], from: number, count: number): void {
    while (this.count + count > this.items.length) this.grow();
    let at = this.head + this.count;
    for (let i = 0; i < count; i++) this.items[at++ & this.mask] = list[from + i];
    this.count += count;
  }

  /** Puts `item` before the oldest (a record handed back goes to the head of its lane). */
  pushFront(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = item;
    this.count++;
  }

  /** Keeps only the items `keep` accepts, in order; returns the ones removed, in order. */
  filter(keep: (item: T) => boolean): T[] {
    const removed: T[] = [];
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      const item = this.items[(this.head + i) & this.mask] as T;
      if (keep(item)) this.items[(this.head + kept++) & this.mask] = item;
      else removed.push(item);
    }
    for (let i = kept; i < this.count; i++) this.items[(this.head + i) & this.mask] = undefined;
    this.count = kept;
    return removed;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) & this.mask] as T;
  }

  /** Removes the `count` oldest items (at most `length`) and returns them, oldest first. */
  shiftMany(count: number): T[] {
    const n = Math.min(count, this.count);
    const out = new Array<T>(n);
    let at = this.head;
    for (let i = 0; i < n; i++) {
      const slot = at++ & this.mask;
      out[i] = this.items[slot] as T;
      this.items[slot] = undefined;
    }
    this.head = at & this.mask;
    this.count -= n;
    return out;
  }

  /**
   * Moves the `max` oldest items (at most `length`) into `into[0..n)`, oldest first, and returns n: a
   * reader that empties the buffer in groups reuses one array instead of allocating one per group.
   */
  shiftInto(into: T[], max: number): number {
    const n = Math.min(max, this.count);
    let at = this.head;
    for (let i = 0; i < n; i++) {
      const slot = at++ & this.mask;
      into[i] = this.items[slot] as T;
      this.items[slot] = undefined;
    }
    this.head = at & this.mask;
    this.count -= n;
    return n;
  }

  /** Removes and returns the oldest item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // let the item be collected
    this.head = (this.head + 1) & this.mask;
    this.count--;
    return item;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** The item `index` places behind the oldest (0 = oldest). */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.items[(this.head + index) & this.mask];
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const old = this.items;
    const size = old.length * 2;
    const next: (T | undefined)[] = new Array(size);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = size - 1;
  }
}
