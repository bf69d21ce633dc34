import type { ConsumerRecord, Sink, SinkContext } from '../consumer/types.js';
import type { Clock } from '../flow/clock.js';
import { LabConfigError } from './validate.js';

/**
 * Failures on demand for the lab's consumer: the module's "deploy a bug that makes half the events fail
 * and retry". Wrapped around the consumer's sink, so every attempt, failed or not, costs the
 * processing time (a failed attempt did the work and then threw), which is what makes retries cost
 * throughput.
 *
 * - `transient`: each attempt fails with probability `rate`, except the last one the retry budget
 *   allows: a transient failure clears within the budget, so every order is eventually processed.
 *   With rate p and N attempts an order takes (1 - p^N) / (1 - p) attempts on average (≈ 1 / (1 - p)),
 *   so successful throughput falls to capacity × (1 - p) / (1 - p^N): about half at p = 0.5.
 * - `poison`: an order picked by a hash of its bytes (a `rate` share of them) fails on every attempt,
 *   and so does any order the producer marked poison (`POISON_HEADER`); after the budget they are
 *   dead-lettered. `poisonFixed` is "the fix is deployed": poison orders then succeed, which is what
 *   makes replaying them from the dead-letter topic worth doing.
 */

export type FailureKind = 'transient' | 'poison';
export const FAILURE_KINDS: readonly FailureKind[] = ['transient', 'poison'];

/** Header the lab producer sets on an order made to fail (`POST /produce {"poison": true}`). */
export const POISON_HEADER = 'sluice.lab.poison';

/** A failure that clears on a later attempt; `code` is the reason its dead letters are grouped by. */
export class TransientOrderFailure extends Error {
  override readonly name = 'TransientOrderFailure';
  readonly code = 'transient';
}

/** A failure that never clears until the bug is fixed. */
export class PoisonOrderFailure extends Error {
  override readonly name = 'PoisonOrderFailure';
  readonly code = 'poison';
}

export interface FailureSettings {
  /** Share of attempts (transient) or of orders (poison) that fail, 0..1. */
  rate: number;
  kind: FailureKind;
  /** Poison orders (marked or picked) succeed: the bug is fixed. */
  poisonFixed: boolean;
}

export interface FailureCounts {
  attempts: number;
  /** Attempts after the first one of their order. */
  retries: number;
  succeeded: number;
  /** Orders that succeeded on a retry (attempt > 1). */
  succeededAfterRetry: number;
  failed: Record<FailureKind, number>;
}

export interface FailingSinkOptions {
  inner: Sink;
  /** Attempts the runtime makes per record (the retry budget), so a transient failure clears by the last. */
  maxAttempts: number;
  /** What a failed attempt costs: the consumer's current processing time. */
  costMs: () => number;
  clock: Clock;
  random: () => number;
}

export function checkFailureRate(rate: unknown): number {
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
    throw new LabConfigError(`failure_rate must be a number from 0 to 1 (got ${JSON.stringify(rate)})`);
  }
  return rate;
}

export function checkFailureKind(kind: unknown): FailureKind {
  if (!FAILURE_KINDS.includes(kind as FailureKind)) {
    throw new LabConfigError(
      `failure must be ${FAILURE_KINDS.map((k) => `"${k}"`).join(' or ')} (got ${JSON.stringify(kind)})`,
    );
  }
  return kind as FailureKind;
}

export function isMarkedPoison(record: ConsumerRecord): boolean {
  return record.headers.some((h) => h.key === POISON_HEADER && h.value?.toString() !== 'false');
}

/** FNV-1a over the order's bytes, as a fraction 0..1: the same order is picked on every attempt and replay. */
function orderFraction(record: ConsumerRecord): number {
  let h = 0x811c9dc5;
  for (const bytes of [record.key, record.value]) {
    if (!bytes) continue;
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  }
  return h / 0x100000000;
}

export class FailingSink implements Sink {
  readonly name: string;
  readonly settings: FailureSettings = { rate: 0, kind: 'transient', poisonFixed: false };
  readonly counts: FailureCounts = {
    attempts: 0,
    retries: 0,
    succeeded: 0,
    succeededAfterRetry: 0,
    failed: { transient: 0, poison: 0 },
  };

  constructor(private readonly options: FailingSinkOptions) {
    this.name = options.inner.name;
  }

  configure(change: Partial<FailureSettings>): FailureSettings {
    if (change.rate !== undefined) this.settings.rate = checkFailureRate(change.rate);
    if (change.kind !== undefined) this.settings.kind = checkFailureKind(change.kind);
    if (change.poisonFixed !== undefined) this.settings.poisonFixed = change.poisonFixed;
    return { ...this.settings };
  }

  async write(record: ConsumerRecord, context: SinkContext): Promise<void> {
    this.counts.attempts++;
    if (context.attempt > 1) this.counts.retries++;
    const failure = this.failureFor(record, context.attempt);
    if (failure) {
      const ms = this.options.costMs();
      if (ms > 0) await this.options.clock.sleep(ms, context.signal);
      this.counts.failed[failure.code]++;
      throw failure;
    }
    await this.options.inner.write(record, context);
    this.counts.succeeded++;
    if (context.attempt > 1) this.counts.succeededAfterRetry++;
  }

  async close(): Promise<void> {
    await this.options.inner.close?.();
  }

  private failureFor(
    record: ConsumerRecord,
    attempt: number,
  ): TransientOrderFailure | PoisonOrderFailure | null {
    const where = `${record.topic}/${record.partition}@${record.offset}`;
    const { rate, kind, poisonFixed } = this.settings;
    if (!poisonFixed) {
      if (isMarkedPoison(record)) return new PoisonOrderFailure(`order ${where} is marked poison`);
      if (kind === 'poison' && rate > 0 && orderFraction(record) < rate)
        return new PoisonOrderFailure(`order ${where} hits the deployed bug (poison, rate ${rate})`);
    }
    if (
      kind === 'transient' &&
      rate > 0 &&
      attempt < this.options.maxAttempts &&
      this.options.random() < rate
    )
      return new TransientOrderFailure(
        `order ${where} failed on attempt ${attempt} (transient, rate ${rate})`,
      );
    return null;
  }
}
