import type { Clock } from '../flow/clock.js';

/** What one processing slot of an instance is doing right now (Flink's task time classification). */
export type SlotState = 'idle' | 'busy' | 'backpressured';

/** Flink's back-pressure level from the share of time spent backpressured. */
export type BackpressureLevel = 'OK' | 'LOW' | 'HIGH';

/** OK <= 0.10 < LOW <= 0.5 < HIGH, as Flink's web UI classifies `backPressuredTimeMsPerSecond / 1000`. */
export function classifyBackpressure(ratio: number): BackpressureLevel {
  if (ratio <= 0.1) return 'OK';
  if (ratio <= 0.5) return 'LOW';
  return 'HIGH';
}

export interface TimeTotals {
  busyMs: number;
  idleMs: number;
  backpressuredMs: number;
}

/**
 * Integrates over time how an instance's slots split between idle, busy and backpressured. An
 * instance with concurrency k has k slots; each contributes 1/k of the instance's time, so the three
 * totals always add up to the elapsed time.
 */
export class TimeAccounting {
  private counts = { idle: 0, busy: 0, backpressured: 0 };
  private last: number;
  readonly totals: TimeTotals = { busyMs: 0, idleMs: 0, backpressuredMs: 0 };

  constructor(
    private readonly clock: Clock,
    readonly slots: number,
  ) {
    this.counts.idle = slots;
    this.last = clock.now();
  }

  /** Moves one slot from one state to another. */
  move(from: SlotState, to: SlotState): void {
    if (from === to) return;
    this.flush();
    this.counts[from]--;
    this.counts[to]++;
  }

  private stopped = false;

  /** Stops the accounting (the instance finished): later time is none of its states. */
  stop(): void {
    this.flush();
    this.stopped = true;
  }

  /** Brings the totals up to now. */
  flush(): TimeTotals {
    if (this.stopped) return this.totals;
    const now = this.clock.now();
    const dt = now - this.last;
    if (dt > 0) {
      const share = dt / this.slots;
      this.totals.busyMs += share * this.counts.busy;
      this.totals.idleMs += share * this.counts.idle;
      this.totals.backpressuredMs += share * this.counts.backpressured;
      this.last = now;
    }
    return this.totals;
  }
}
