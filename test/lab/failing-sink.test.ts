import { describe, expect, it } from 'vitest';
import type { ConsumerRecord, Sink } from '../../src/consumer/types.js';
import { realClock } from '../../src/flow/clock.js';
import { seededRandom } from '../../src/flow/random.js';
import {
  FailingSink,
  POISON_HEADER,
  PoisonOrderFailure,
  TransientOrderFailure,
} from '../../src/lab/failures.js';
import { LabConfigError } from '../../src/lab/validate.js';

/** The lab's failure injection on its own: which attempts fail, and that failed attempts cost time. */

const record = (offset: number, poison = false): ConsumerRecord => ({
  topic: 'orders',
  partition: 0,
  offset: BigInt(offset),
  timestamp: 0,
  key: Buffer.from(`cust-${offset}`),
  value: Buffer.from(`{"id":"ord-${offset}"}`),
  headers: poison ? [{ key: POISON_HEADER, value: Buffer.from('true') }] : [],
});

function setup(maxAttempts = 5) {
  const written: string[] = [];
  const inner: Sink = { name: 'inner', write: async (r) => void written.push(r.offset.toString()) };
  let costs = 0;
  const sink = new FailingSink({
    inner,
    maxAttempts,
    costMs: () => {
      costs++;
      return 0;
    },
    clock: realClock,
    random: seededRandom(7),
  });
  const attempt = (r: ConsumerRecord, n: number) =>
    sink.write(r, { attempt: n, signal: new AbortController().signal });
  return { sink, written, attempt, costs: () => costs };
}

describe('lab failure injection', () => {
  it('transient failures never fail the last attempt of the budget, so every order gets through', async () => {
    const { sink, written, attempt, costs } = setup(3);
    sink.configure({ rate: 1, kind: 'transient' });
    await expect(attempt(record(1), 1)).rejects.toBeInstanceOf(TransientOrderFailure);
    await expect(attempt(record(1), 2)).rejects.toThrow(/failed on attempt 2 \(transient, rate 1\)/);
    await attempt(record(1), 3);
    expect(written).toEqual(['1']);
    expect(sink.counts).toMatchObject({ attempts: 3, retries: 2, succeeded: 1, succeededAfterRetry: 1 });
    expect(sink.counts.failed).toEqual({ transient: 2, poison: 0 });
    // Each failed attempt paid the processing time.
    expect(costs()).toBe(2);
  });

  it('marked poison orders fail every attempt until the fix, with the reason code "poison"', async () => {
    const { sink, written, attempt } = setup();
    for (let n = 1; n <= 5; n++) {
      const err = await attempt(record(9, true), n).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PoisonOrderFailure);
      expect((err as PoisonOrderFailure).code).toBe('poison');
    }
    sink.configure({ poisonFixed: true });
    await attempt(record(9, true), 1);
    expect(written).toEqual(['9']);
  });

  it('the poison kind picks the same orders on every attempt, about the rate of them', async () => {
    const { sink, attempt } = setup();
    sink.configure({ rate: 0.3, kind: 'poison' });
    const failing = new Set<number>();
    for (let i = 0; i < 1000; i++)
      if (
        await attempt(record(i), 1).then(
          () => false,
          () => true,
        )
      )
        failing.add(i);
    expect(failing.size).toBeGreaterThan(250);
    expect(failing.size).toBeLessThan(350);
    for (const i of [...failing].slice(0, 20))
      await expect(attempt(record(i), 4)).rejects.toBeInstanceOf(PoisonOrderFailure);
  });

  it('refuses a bad rate or kind, saying what is accepted', () => {
    const { sink } = setup();
    expect(() => sink.configure({ rate: 1.5 })).toThrow(
      new LabConfigError('failure_rate must be a number from 0 to 1 (got 1.5)'),
    );
    // biome-ignore lint/suspicious/noExplicitAny: an invalid kind on purpose
    expect(() => sink.configure({ kind: 'flaky' as any })).toThrow(
      /failure must be "transient" or "poison" \(got "flaky"\)/,
    );
  });
});
