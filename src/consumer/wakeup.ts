import type { Clock } from '../flow/clock.js';

/**
 * A one-bit signal: `notify()` wakes whoever waits now. The fetch loop parks on it while it has no
 * credits or is paused, and completions, resumes and assignments wake it, so it neither spins nor
 * sleeps longer than needed.
 */
export class Wakeup {
  private waiters: (() => void)[] = [];

  notify(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Resolves on the next notify, or after `timeoutMs` on the clock. */
  wait(clock: Clock, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        timer.cancel();
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve();
      };
      const timer = clock.setTimeout(done, timeoutMs);
      this.waiters.push(done);
    });
  }

  /** Resolves on the next notify, or when the signal aborts. */
  waitSignal(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.waiters.push(done);
    });
  }
}
