import type { ConcurrencyLimit } from '../flow/concurrency.js';

/** A concurrency limit that does not adapt: the number configured, always. */
export class FixedLimit implements ConcurrencyLimit {
  constructor(readonly limit: number) {}
  onSample(): void {}
  onChange(): () => void {
    return () => {};
  }
}
