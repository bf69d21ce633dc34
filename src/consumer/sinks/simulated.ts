import { type Clock, realClock } from '../../flow/clock.js';
import { TokenBucket } from '../../flow/token-bucket.js';
import { checkNumber } from '../../flow/validate.js';
import type { ConsumerRecord, Sink, SinkContext } from '../types.js';

export interface SimulatedSinkOptions {
  /** Time one write takes (default 500 ms: the lab's consumer, 1000 / 500 = 2 msg/s per worker). */
  processingTimeMs?: number;
  /** Throughput ceiling shared by all concurrent writes (a TokenBucket), e.g. 600 upserts/s. */
  maxRatePerSec?: number;
  /** Fraction of writes that fail at random (0..1). */
  failureRate?: number;
  /** Deterministic failure injection: a record for which this returns true fails (poison records). */
  failWhen?: (record: ConsumerRecord, attempt: number) => boolean;
  clock?: Clock;
  random?: () => number;
  name?: string;
}

export class SimulatedFailure extends Error {
  override readonly name = 'SimulatedFailure';
}

/**
 * A sink that does nothing but take time: the lab's slow consumer. Processing time can be changed
 * while running (the lab's /slow and /fast), failures injected at random or per record.
 */
export class SimulatedSink implements Sink {
  readonly name: string;
  processingTimeMs: number;
  failureRate: number;
  private readonly failWhen: SimulatedSinkOptions['failWhen'];
  private readonly clock: Clock;
  private readonly random: () => number;
  private bucket: TokenBucket | null = null;
  readonly counts = { writes: 0, succeeded: 0, failed: 0, active: 0, maxActive: 0 };

  constructor(options: SimulatedSinkOptions = {}) {
    this.name = options.name ?? 'simulated';
    this.processingTimeMs = checkMs(options.processingTimeMs ?? 500);
    this.failureRate = options.failureRate ?? 0;
    checkNumber('simulated sink: failureRate', this.failureRate, { min: 0, max: 1 });
    this.failWhen = options.failWhen;
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    if (options.maxRatePerSec !== undefined) this.setMaxRate(options.maxRatePerSec);
  }

  /** Changes the throughput ceiling (undefined removes it). */
  setMaxRate(ratePerSec: number | undefined): void {
    this.bucket =
      ratePerSec === undefined
        ? null
        : new TokenBucket({ ratePerSec, burst: Math.max(1, Math.ceil(ratePerSec / 20)), clock: this.clock });
  }

  /** Capacity of one worker: 1000 / processing_time_ms messages per second. */
  get maxPerSecondPerWorker(): number {
    return this.processingTimeMs === 0 ? Infinity : 1000 / this.processingTimeMs;
  }

  async write(record: ConsumerRecord, context: SinkContext): Promise<void> {
    this.counts.writes++;
    this.counts.active++;
    if (this.counts.active > this.counts.maxActive) this.counts.maxActive = this.counts.active;
    try {
      if (this.bucket) await this.bucket.acquire(1, context.signal);
      if (this.processingTimeMs > 0) await this.clock.sleep(this.processingTimeMs, context.signal);
      if (
        this.failWhen?.(record, context.attempt) ||
        (this.failureRate > 0 && this.random() < this.failureRate)
      ) {
        this.counts.failed++;
        throw new SimulatedFailure(
          `simulated failure writing ${record.topic}/${record.partition}@${record.offset} (attempt ${context.attempt})`,
        );
      }
      this.counts.succeeded++;
    } finally {
      this.counts.active--;
    }
  }
}

function checkMs(ms: number): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`simulated sink: processingTimeMs must be a number >= 0, got ${ms}`);
  }
  return ms;
}
