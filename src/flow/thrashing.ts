import { type Clock, realClock } from './clock.js';
import { requireNumber } from './errors.js';
import { type PressureTransition, Watermarks, type WatermarksOptions } from './watermarks.js';

export interface ThrashingDetectorOptions {
  /** Sliding window over which flips are counted (ms). */
  windowMs: number;
  /** Most declare/relieve flips tolerated in a window; more is thrashing. Default 4 (two full cycles). */
  maxFlips?: number;
  clock?: Clock;
  name?: string;
  /**
   * Watch a gauge directly: readings passed to `sample()` go through Watermarks with these marks
   * (e.g. JStorm's: high 80% of the queue, low 5%, 4 consecutive samples each way).
   */
  marks?: Omit<WatermarksOptions, 'clock'>;
}

export interface Flip {
  transition: PressureTransition;
  at: number;
}

/** The evidence behind a verdict, so an operator can see why it was (or was not) called thrashing. */
export interface ThrashingReport {
  thrashing: boolean;
  /** Flips inside the window ending at `at`. */
  flips: number;
  maxFlips: number;
  windowMs: number;
  at: number;
  /** The flips themselves, oldest first. */
  evidence: Flip[];
  /** Completed declare→relieve cycles inside the window. */
  cycles: number;
  /** Mean time between consecutive declarations in the window (ms), if there were two or more. */
  meanCycleMs: number | undefined;
  /** A sentence for logs and dashboards. */
  summary: string;
}

/**
 * Spots backpressure thrashing: declared, relieved as soon as the queue drains, declared again as soon
 * as traffic resumes, over and over. That cycle means the slow stage cannot keep up at all, and
 * stop/resume is only hiding it (scale it, or find out why it slowed). A steady overload that stays
 * declared is not thrashing: it flips once.
 *
 * Feed it transitions (`record`, or `watch(watermarks)`), or gauge readings through a Watermarks
 * whose `declareAfter` sets how many consecutive samples over the high mark declare pressure.
 */
export class ThrashingDetector {
  readonly name: string;
  readonly windowMs: number;
  readonly maxFlips: number;
  private readonly clock: Clock;
  private flips: Flip[] = [];
  private state = false;
  private readonly listeners = new Set<(report: ThrashingReport) => void>();
  /** The detector's own watermarks, when built with `marks`. */
  readonly watermarks: Watermarks | undefined;

  constructor(options: ThrashingDetectorOptions) {
    this.name = options.name ?? 'thrashing';
    this.windowMs = requireNumber(`thrashing detector "${this.name}": windowMs`, options.windowMs, {
      min: 1,
    });
    this.maxFlips = requireNumber(`thrashing detector "${this.name}": maxFlips`, options.maxFlips ?? 4, {
      min: 1,
      integer: true,
    });
    this.clock = options.clock ?? realClock;
    if (options.marks) {
      this.watermarks = new Watermarks({ ...options.marks, clock: this.clock });
      this.watch(this.watermarks);
    }
  }

  /** Feeds one gauge reading through the detector's own watermarks (needs `marks`); returns the verdict. */
  sample(level: number, now = this.clock.now()): ThrashingReport {
    if (!this.watermarks) {
      throw new Error(
        `thrashing detector "${this.name}": sample() needs the marks option, or feed it with watch()/record()`,
      );
    }
    this.watermarks.update(level, now);
    return this.evaluate(now);
  }

  /** Whether the last evaluation found thrashing. */
  get thrashing(): boolean {
    return this.state;
  }

  /** Records one flip; returns the updated report. Listeners hear when the verdict changes. */
  record(transition: PressureTransition, at = this.clock.now()): ThrashingReport {
    this.flips.push({ transition, at });
    return this.evaluate(at);
  }

  /** Subscribes to a Watermarks' transitions; returns the unsubscribe function. */
  watch(watermarks: Watermarks): () => void {
    return watermarks.onChange((e) => this.record(e.transition, e.at));
  }

  /** The verdict at `now` (flips that slid out of the window no longer count). */
  evaluate(now = this.clock.now()): ThrashingReport {
    const from = now - this.windowMs;
    let drop = 0;
    while (drop < this.flips.length && this.flips[drop].at <= from) drop++;
    if (drop > 0) this.flips.splice(0, drop);
    const report = this.report(now);
    if (report.thrashing !== this.state) {
      this.state = report.thrashing;
      for (const listener of this.listeners) listener(report);
    }
    return report;
  }

  /** Hears each change of verdict (into and out of thrashing), with the evidence. */
  onChange(listener: (report: ThrashingReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private report(now: number): ThrashingReport {
    const evidence = this.flips.slice();
    const flips = evidence.length;
    const thrashing = flips > this.maxFlips;
    let cycles = 0;
    const declaredAt: number[] = [];
    for (let i = 0; i < evidence.length; i++) {
      if (evidence[i].transition === 'declared') {
        declaredAt.push(evidence[i].at);
        if (evidence[i + 1]?.transition === 'relieved') cycles++;
      }
    }
    const meanCycleMs =
      declaredAt.length >= 2
        ? (declaredAt[declaredAt.length - 1] - declaredAt[0]) / (declaredAt.length - 1)
        : undefined;
    const windowS = this.windowMs / 1000;
    const summary = thrashing
      ? `thrashing: backpressure flipped ${flips} times in ${windowS} s (limit ${this.maxFlips}), ${cycles} declare/relieve cycles` +
        (meanCycleMs !== undefined ? ` every ~${Math.round(meanCycleMs)} ms` : '') +
        ': the slow stage cannot keep up; scale it or find why it slowed'
      : `not thrashing: ${flips} flips in the last ${windowS} s (limit ${this.maxFlips})`;
    return {
      thrashing,
      flips,
      maxFlips: this.maxFlips,
      windowMs: this.windowMs,
      at: now,
      evidence,
      cycles,
      meanCycleMs,
      summary,
    };
  }
}
