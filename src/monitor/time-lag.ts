import type { SampleRing } from './sample-ring.js';

/**
 * Lag in seconds: the age of the oldest unconsumed record. Exact when the record at the committed
 * offset was read (its timestamp is on it); otherwise interpolated from when the log end passed that
 * offset in our own samples (what kafka-lag-exporter does); otherwise unknown, with a lower bound when
 * the record is older than everything we remember. Never a made-up number.
 */

export type TimeLagMethod = 'exact' | 'interpolated' | 'unknown';

export interface TimeLag {
  seconds: number | null;
  method: TimeLagMethod;
  /** With `unknown`: the record is at least this old (it predates our oldest sample). */
  atLeastSeconds?: number;
}

export function timeLag(
  now: number,
  committed: number | null,
  logEnd: number,
  recordTimestamp: number | undefined,
  ring: SampleRing,
): TimeLag {
  if (committed === null) return { seconds: null, method: 'unknown' };
  if (committed >= logEnd) return { seconds: 0, method: 'exact' };
  if (recordTimestamp !== undefined && recordTimestamp >= 0) {
    // Producer clocks may run ahead of ours; an age below zero means "just written".
    return { seconds: Math.max(0, now - recordTimestamp) / 1000, method: 'exact' };
  }
  const produced = producedAt(committed, ring);
  if (produced === undefined) {
    const oldest = ring.length > 0 ? ring.timeOf(0) : now;
    return { seconds: null, method: 'unknown', atLeastSeconds: Math.max(0, now - oldest) / 1000 };
  }
  return { seconds: Math.max(0, now - produced) / 1000, method: 'interpolated' };
}

/**
 * When record `offset` was written, from the samples of the log end: it appeared between the last
 * sample whose end was <= offset and the next one, placed linearly by offset in that interval.
 */
export function producedAt(offset: number, ring: SampleRing): number | undefined {
  const n = ring.length;
  for (let i = n - 1; i > 0; i--) {
    const endA = ring.endOf(i - 1);
    const endB = ring.endOf(i);
    if (endA <= offset && offset < endB) {
      const fraction = (offset - endA + 1) / (endB - endA);
      const tA = ring.timeOf(i - 1);
      return tA + fraction * (ring.timeOf(i) - tA);
    }
    if (endB <= offset) return undefined; // record not written yet at the newest sample: caller's lag is 0
  }
  return undefined;
}
