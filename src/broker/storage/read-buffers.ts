/**
 * Reusable buffers for Fetch reads. A fetch of 1 MiB into a fresh `Buffer.allocUnsafe` costs far more
 * than the copy itself: the allocation is mmapped, so the kernel zero-fills and faults in every page of
 * it, and frees it again on GC (measured: ~one page fault per 4 KiB served, 2-3x the CPU per GiB).
 * Buffers here are recycled instead, once the socket has taken their bytes.
 *
 * Ownership is by lease: a request borrows buffers through {@link ReadLease.alloc} and gives them all
 * back with {@link ReadLease.release}, which the connection calls when the response's writes have
 * completed. A lease never released only means its buffers are garbage-collected like any other.
 */

/** Smallest pooled size: below this an ordinary allocation (Node's own slab pool) is cheap enough. */
const MIN_POOLED = 64 * 1024;
/** Larger reads are allocated directly (rare: a fetch larger than max.partition.fetch.bytes' usual sizes). */
const MAX_POOLED = 16 * 1024 * 1024;
/** Free bytes kept per size class; beyond it returned buffers are dropped for the GC. */
const FREE_BYTES_PER_CLASS = 32 * 1024 * 1024;

export class ReadBufferPool {
  /** Free buffers by size class (a power of two). */
  private readonly free = new Map<number, Buffer[]>();
  /** How many allocations the pool answered from its free lists, and how many it had to allocate. */
  readonly stats = { reused: 0, allocated: 0 };

  /** A buffer of at least `size` bytes (its length is the size class). */
  take(size: number): Buffer {
    if (size < MIN_POOLED || size > MAX_POOLED) return Buffer.allocUnsafe(size);
    const cls = sizeClass(size);
    const list = this.free.get(cls);
    const reused = list?.pop();
    if (reused) {
      this.stats.reused++;
      return reused;
    }
    this.stats.allocated++;
    return Buffer.allocUnsafeSlow(cls);
  }

  /** Gives back a buffer from {@link take}; the caller must not touch it (or views of it) afterwards. */
  give(buf: Buffer): void {
    const cls = buf.length;
    if (cls < MIN_POOLED || cls > MAX_POOLED || sizeClass(cls) !== cls) return;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    if ((list.length + 1) * cls <= FREE_BYTES_PER_CLASS) list.push(buf);
  }

  lease(): ReadLease {
    return new ReadLease(this);
  }
}

/** The buffers one request borrowed. */
export class ReadLease {
  private held: Buffer[] = [];

  constructor(private readonly pool: ReadBufferPool) {}

  /** A buffer of at least `size` bytes, owned by this lease until {@link release}. */
  readonly alloc = (size: number): Buffer => {
    const buf = this.pool.take(size);
    this.held.push(buf);
    return buf;
  };

  /** Returns every buffer borrowed so far to the pool. Only once nothing refers to their bytes. */
  release(): void {
    for (const buf of this.held) this.pool.give(buf);
    this.held = [];
  }
}

function sizeClass(size: number): number {
  return 2 ** Math.ceil(Math.log2(size));
}
