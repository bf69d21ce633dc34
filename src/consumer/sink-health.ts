import type { Clock } from '../flow/clock.js';
import { RingBuffer } from '../flow/ring-buffer.js';
import { ThrashingDetector, type ThrashingReport } from '../flow/thrashing.js';
import { Watermarks } from '../flow/watermarks.js';
import type { PausePolicyOptions } from './config.js';

interface Outcome {
  at: number;
  ms: number;
  ok: boolean;
}

export interface SinkHealthSnapshot {
  /** Mean write latency over the window (ms); 0 with no writes in it. */
  meanLatencyMs: number;
  /** Slowest write in the window (ms). */
  maxLatencyMs: number;
  /** Failed writes / all writes in the window. */
  errorRate: number;
  /** Writes finished in the window. */
  samples: number;
}

export type PauseReason = 'latency' | 'error-rate';

/**
 * The sink's latency and error rate over a sliding window, and the pause policy over them: pause
 * when a gauge reaches its high mark, resume only once every gauge is back at or below its low mark
 * (flow Watermarks). A window with no writes in it reads 0, so a consumer that paused itself resumes
 * after the window has passed quietly instead of waiting forever for a sample. Flips are watched by a
 * ThrashingDetector: a pause that lets go and comes back again and again means the sink cannot keep up.
 */
export class SinkHealth {
  private readonly window = new RingBuffer<Outcome>(256);
  private sumMs = 0;
  private failures = 0;
  private readonly windowMs: number;
  private readonly minSamples: number;
  private readonly latency: Watermarks | undefined;
  private readonly errors: Watermarks | undefined;
  readonly thrashing: ThrashingDetector | undefined;
  private paused = false;
  private readonly reasons = new Set<PauseReason>();
  private static readonly MAX_SAMPLES = 20_000;

  constructor(
    private readonly clock: Clock,
    policy: PausePolicyOptions | undefined,
  ) {
    this.windowMs = policy?.windowMs ?? 5000;
    this.minSamples = policy?.minSamples ?? 5;
    const declareAfter = policy?.declareAfter ?? 2;
    if (policy?.latencyMs) {
      this.latency = new Watermarks({ ...policy.latencyMs, declareAfter, clock, name: 'sink latency' });
    }
    if (policy?.errorRate) {
      this.errors = new Watermarks({ ...policy.errorRate, declareAfter, clock, name: 'sink error rate' });
    }
    if (this.latency || this.errors) {
      this.thrashing = new ThrashingDetector({
        windowMs: policy?.thrashing?.windowMs ?? 60_000,
        maxFlips: policy?.thrashing?.maxFlips ?? 6,
        clock,
        name: 'consumer pause policy',
      });
    }
  }

  get hasPolicy(): boolean {
    return this.latency !== undefined || this.errors !== undefined;
  }

  get pausedByPolicy(): boolean {
    return this.paused;
  }

  get pauseReasons(): PauseReason[] {
    return [...this.reasons];
  }

  record(ms: number, ok: boolean): void {
    const at = this.clock.now();
    this.window.push({ at, ms, ok });
    this.sumMs += ms;
    if (!ok) this.failures++;
    if (this.window.length > SinkHealth.MAX_SAMPLES) this.evictOne();
  }

  snapshot(now = this.clock.now()): SinkHealthSnapshot {
    this.expire(now);
    const n = this.window.length;
    let max = 0;
    for (const o of this.window) if (o.ms > max) max = o.ms;
    return {
      meanLatencyMs: n === 0 ? 0 : this.sumMs / n,
      maxLatencyMs: max,
      errorRate: n === 0 ? 0 : this.failures / n,
      samples: n,
    };
  }

  /**
   * Reads the gauges and applies the policy; returns 'paused' or 'resumed' when the state changed.
   * Called on a timer by the runtime.
   */
  evaluate(): 'paused' | 'resumed' | undefined {
    if (!this.hasPolicy) return undefined;
    const now = this.clock.now();
    const s = this.snapshot(now);
    if (this.latency?.update(s.meanLatencyMs, now) === 'declared') this.reasons.add('latency');
    if (this.latency && !this.latency.inPressure) this.reasons.delete('latency');
    const errorLevel = s.samples >= this.minSamples ? s.errorRate : 0;
    if (this.errors?.update(errorLevel, now) === 'declared') this.reasons.add('error-rate');
    if (this.errors && !this.errors.inPressure) this.reasons.delete('error-rate');
    const shouldPause = this.reasons.size > 0;
    if (shouldPause === this.paused) {
      this.thrashing?.evaluate(now);
      return undefined;
    }
    this.paused = shouldPause;
    this.thrashing?.record(shouldPause ? 'declared' : 'relieved', now);
    return shouldPause ? 'paused' : 'resumed';
  }

  thrashingReport(): ThrashingReport | undefined {
    return this.thrashing?.evaluate();
  }

  private expire(now: number): void {
    const from = now - this.windowMs;
    while (this.window.length > 0 && this.window.peek()!.at <= from) this.evictOne();
  }

  private evictOne(): void {
    const o = this.window.shift()!;
    this.sumMs -= o.ms;
    if (!o.ok) this.failures--;
  }
}
