import { seededRandom } from '../random.js';
import type { ConsumerState } from './model.js';
import type { ResolvedSimulation } from './options.js';

/** The simulator's failures: which attempts fail, and what retries cost the consumer. */

/**
 * How fast events leave the backlog (succeeding, or given up after the retry limit) and how many of them
 * succeed, per second of the consumer's time. Every attempt costs a processing time and every retry a
 * backoff before it. With random failures this is expected value: an event takes (1 − f^(R+1)) / (1 − f)
 * attempts with R retries allowed, and succeeds with probability 1 − f^(R+1). With evenly spread failures
 * how often an event runs out of retries depends on how they cluster (at 50% none fails twice in a row),
 * so it is taken from what the run did.
 */
export function departureRates(o: ResolvedSimulation, c: ConsumerState): { leave: number; succeed: number } {
  const serviceMs = 1000 / o.consumeRate;
  const f = o.failureRate;
  if (f === 0) return { leave: o.consumeRate, succeed: o.consumeRate };
  let attemptsPerEvent: number;
  let successShare: number;
  if (o.failurePattern === 'random' || !Number.isFinite(o.maxRetries)) {
    const giveUp = Number.isFinite(o.maxRetries) ? f ** (o.maxRetries + 1) : 0;
    attemptsPerEvent = (1 - giveUp) / (1 - f);
    successShare = 1 - giveUp;
  } else {
    const left = c.consumed + c.deadLettered;
    if (left === 0) return { leave: o.consumeRate * (1 - f), succeed: o.consumeRate * (1 - f) };
    attemptsPerEvent = c.attempts / left;
    successShare = c.consumed / left;
  }
  const perEventMs = attemptsPerEvent * serviceMs + (attemptsPerEvent - 1) * o.retryBackoffMs;
  const leave = 1000 / perEventMs;
  return { leave, succeed: leave * successShare };
}

/** Whether the next attempt fails: seeded random draws, or exactly the given fraction spread evenly. */
export function failureDraw(o: ResolvedSimulation): () => boolean {
  if (o.failureRate === 0) return () => false;
  if (o.failurePattern === 'random') {
    const random = seededRandom(o.seed);
    return () => random() < o.failureRate;
  }
  // Error diffusion: exactly the given fraction of attempts fail, spread evenly.
  let debt = 0;
  return () => {
    debt += o.failureRate;
    if (debt >= 1 - 1e-9) {
      debt -= 1;
      return true;
    }
    return false;
  };
}
