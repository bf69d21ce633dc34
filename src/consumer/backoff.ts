import type { RetryOptions } from './config.js';

/**
 * Exponential backoff with "equal jitter": half of each delay (by default) is random, so a burst of
 * failures does not come back as a synchronised burst of retries.
 */
export function backoffMs(attempt: number, options: Required<RetryOptions>, random: () => number): number {
  const exp = options.initialBackoffMs * options.multiplier ** Math.max(0, attempt - 1);
  const capped = Math.min(options.maxBackoffMs, exp);
  const fixed = capped * (1 - options.jitter);
  return Math.round(fixed + capped * options.jitter * random());
}
