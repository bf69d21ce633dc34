import { type Clock, realClock } from './clock.js';
import { requireNumber } from './errors.js';

export type PressureTransition = 'declared' | 'relieved';

export interface WatermarkEvent {
  transition: PressureTransition;
  /** The gauge reading that caused it. */
  level: number;
  at: number;
  /** How long the state that just ended lasted (ms). */
  previousStateMs: number;
}

export interface WatermarksOptions {
  /** Declare pressure when the gauge reaches this level. */
  high: number;
  /** Relieve pressure when the gauge falls to this level. Must not exceed `high`. Not 0, ideally: a
   *  drained queue leaves the slow stage idle until new work arrives. */
  low: number;
  /** Readings at or above `high` needed in a row before declaring (debounces a single spike). Default 1. */
  declareAfter?: number;
  /** Readings at or below `low` needed in a row before relieving. Default 1. (JStorm samples 4 times each way.) */
  relieveAfter?: number;
  clock?: Clock;
  name?: string;
}

/**
 * Backpressure watermarks with hysteresis over any gauge (queue depth, bytes, lag, age): pressure is
 * declared at the high mark and only relieved at the low mark, so a level wandering between the two
 * does not flap the state.
 */
export class Watermarks {
  readonly name: string;
  readonly high: number;
  readonly low: number;
  readonly declareAfter: number;
  readonly relieveAfter: number;
  private readonly clock: Clock;
  private pressure = false;
  private highStreak = 0;
  private lowStreak = 0;
  private lastLevel = 0;
  private stateSince: number;
  private lastEpisodeMs = 0;
  private closedPressureMs = 0;
  private declarations = 0;
  private readonly listeners = new Set<(event: WatermarkEvent) => void>();

  constructor(options: WatermarksOptions) {
    this.name = options.name ?? 'watermarks';
    this.high = requireNumber(`watermarks "${this.name}": high`, options.high);
    this.low = requireNumber(`watermarks "${this.name}": low`, options.low);
    if (this.low > this.high) {
      throw new RangeError(
        `watermarks "${this.name}": low (${this.low}) must not be above high (${this.high}); the gap between them is the hysteresis`,
      );
    }
    this.declareAfter = requireNumber(`watermarks "${this.name}": declareAfter`, options.declareAfter ?? 1, {
      min: 1,
      integer: true,
    });
    this.relieveAfter = requireNumber(`watermarks "${this.name}": relieveAfter`, options.relieveAfter ?? 1, {
      min: 1,
      integer: true,
    });
    this.clock = options.clock ?? realClock;
    this.stateSince = this.clock.now();
  }

  get inPressure(): boolean {
    return this.pressure;
  }

  get level(): number {
    return this.lastLevel;
  }

  /** When the current state (pressure or not) began. */
  get since(): number {
    return this.stateSince;
  }

  /** How many times pressure was declared. */
  get declaredCount(): number {
    return this.declarations;
  }

  /** Duration of the last completed pressure episode (ms), 0 if none has ended yet. */
  get lastPressureMs(): number {
    return this.lastEpisodeMs;
  }

  /** Time spent in pressure so far, including the ongoing episode (ms). */
  totalPressureMs(now = this.clock.now()): number {
    return this.closedPressureMs + (this.pressure ? now - this.stateSince : 0);
  }

  /** How long the current state has lasted (ms). */
  currentStateMs(now = this.clock.now()): number {
    return now - this.stateSince;
  }

  /**
   * Feeds a gauge reading; returns the transition it caused, if any (and tells the listeners). The
   * clock is only read when a transition happens, so calling this on every queue operation is cheap.
   */
  update(level: number, now?: number): PressureTransition | undefined {
    this.lastLevel = level;
    if (!this.pressure) {
      if (level < this.high) {
        this.highStreak = 0;
        return undefined;
      }
      if (++this.highStreak < this.declareAfter) return undefined;
      this.highStreak = 0;
      return this.transition('declared', level, now);
    }
    if (level > this.low) {
      this.lowStreak = 0;
      return undefined;
    }
    if (++this.lowStreak < this.relieveAfter) return undefined;
    this.lowStreak = 0;
    return this.transition('relieved', level, now);
  }

  /** Subscribes to transitions; returns the unsubscribe function. */
  onChange(listener: (event: WatermarkEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private transition(
    transition: PressureTransition,
    level: number,
    at: number | undefined,
  ): PressureTransition {
    const now = at ?? this.clock.now();
    const previousStateMs = now - this.stateSince;
    if (transition === 'declared') {
      this.pressure = true;
      this.declarations++;
    } else {
      this.pressure = false;
      this.lastEpisodeMs = previousStateMs;
      this.closedPressureMs += previousStateMs;
    }
    this.stateSince = now;
    const event: WatermarkEvent = { transition, level, at: now, previousStateMs };
    for (const listener of this.listeners) listener(event);
    return transition;
  }
}
