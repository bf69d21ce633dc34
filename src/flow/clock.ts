/**
 * Time, injected. Every time-dependent part of Sluice takes a Clock so the same code runs live
 * (RealClock) and in deterministic simulation and tests (VirtualClock).
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch (virtual clocks start wherever they are told to). */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): Timer;
  /** Calls `fn` every `ms` milliseconds until cancelled. */
  setInterval(fn: () => void, ms: number): Timer;
  /** Resolves after `ms` milliseconds; rejects with the signal's reason if aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const handle = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  }

  setInterval(fn: () => void, ms: number): Timer {
    const handle = setInterval(fn, Math.max(1, ms));
    return { cancel: () => clearInterval(handle) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

/** The process-wide real clock, for callers that were not handed one. */
export const realClock: Clock = new RealClock();

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
  every?: number;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. Timers fire in time order (ties in scheduling order), and
 * between timers the microtask queue is drained so promise chains woken by one timer settle before
 * the next fires, just as they would on the real event loop.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  /** Binary min-heap on (at, seq): O(log n) per timer however many sleepers a simulation has. */
  private heap: Scheduled[] = [];
  private live = 0;

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.schedule(fn, Math.max(0, ms));
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.schedule(fn, Math.max(1, ms), Math.max(1, ms));
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Number of timers still waiting to fire. */
  pending(): number {
    return this.live;
  }

  /** When the next timer is due, if any. */
  nextDue(): number | undefined {
    return this.peek()?.at;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  /** Moves time forward to `target`, firing every timer due at or before it. */
  async advanceTo(target: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.peek();
      if (!next || next.at > target) break;
      this.fire(next);
      await settle();
    }
    if (target > this.current) this.current = target;
  }

  /**
   * Moves time forward by `ms` synchronously, firing due timers in order without draining promise
   * callbacks between them. For discrete-event loops that drive primitives synchronously (trySend,
   * tryReceive, update) and need time to move millions of times cheaply; code that awaits should use
   * `advance`.
   */
  advanceSync(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.peek();
      if (!next || next.at > target) break;
      this.fire(next);
    }
    if (target > this.current) this.current = target;
  }

  /**
   * Fires timers in order until none is left, or until `limitMs` of virtual time has passed
   * (a guard against intervals, which never run out).
   */
  async runUntilIdle(limitMs = 24 * 3600_000): Promise<void> {
    const stopAt = this.current + limitMs;
    await settle();
    for (;;) {
      const next = this.peek();
      if (!next || next.at > stopAt) break;
      this.fire(next);
      await settle();
    }
  }

  private schedule(fn: () => void, delay: number, every?: number): Timer {
    const entry: Scheduled = { at: this.current + delay, seq: this.seq++, fn, every, cancelled: false };
    this.push(entry);
    this.live++;
    return {
      cancel: () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        this.live--;
      },
    };
  }

  private peek(): Scheduled | undefined {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
    return this.heap[0];
  }

  private fire(entry: Scheduled): void {
    this.pop();
    if (entry.at > this.current) this.current = entry.at;
    if (entry.every !== undefined) {
      entry.at = this.current + entry.every;
      entry.seq = this.seq++;
      this.push(entry);
    } else {
      entry.cancelled = true; // a fired one-shot timer is spent; cancel() after this is a no-op
      this.live--;
    }
    entry.fn();
  }

  private push(entry: Scheduled): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l], h[m])) m = l;
      if (r < h.length && before(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Lets pending promise callbacks run; several macrotask-free turns cover chained awaits. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
