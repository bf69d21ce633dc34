/**
 * The broker's ceiling on request bytes held in memory across all connections (Kafka's
 * `queued.max.request.bytes`). A connection reserves a frame's whole size as soon as its size prefix is
 * readable, before the body arrives, and gives it back once the request is answered (or the connection
 * closes). While the budget is spent no connection starts reading a new frame: their sockets pause and
 * TCP pushes back on the clients. Without it, twelve connections each sending 95 MiB of a 100 MiB frame
 * held 1.2 GB.
 *
 * Like Kafka's non-strict memory pool, a reservation is granted while anything is left, so a single
 * request larger than the remaining room still goes through: the worst case is the budget plus one
 * maximum-size request, and nothing can deadlock on a frame that never fits.
 */
export class RequestMemoryBudget {
  private used = 0;
  private readonly waiters = new Set<() => void>();

  constructor(readonly limitBytes: number) {}

  /** Bytes reserved right now. */
  get inUse(): number {
    return this.used;
  }

  /** Reserves `bytes`, or registers `onFree` to be called once room frees up and returns false. */
  tryReserve(bytes: number, onFree: () => void): boolean {
    if (this.used >= this.limitBytes) {
      this.waiters.add(onFree);
      return false;
    }
    this.waiters.delete(onFree);
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    if (bytes <= 0) return;
    this.used -= bytes;
    if (this.used >= this.limitBytes || this.waiters.size === 0) return;
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
  }

  /** A closed connection stops waiting. */
  forget(onFree: () => void): void {
    this.waiters.delete(onFree);
  }
}

/**
 * When a frame that has started to arrive must be complete. Each byte resets the idle timer, so without
 * this a client sending one byte every 500 ms holds a connection (and its partial frame) forever.
 */
export const DEFAULT_FRAME_READ_TIMEOUT_MS = 30_000;
/** Default request memory budget: a few maximum-size requests, far below a small machine's RAM. */
export const DEFAULT_QUEUED_MAX_REQUEST_BYTES = 256 * 1024 * 1024;
