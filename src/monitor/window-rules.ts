/**
 * Burrow's sliding-window evaluation (core/internal/evaluator/caching.go @ v1.2.1), applied to our
 * samples of each partition instead of to each commit. Burrow sees every commit with its timestamp
 * because it reads __consumer_offsets; over the admin protocol we see committed offsets each cycle,
 * so "commits stopped" becomes "the committed offset did not move over the window", and whether that
 * is STOP (nobody is consuming) or STALL (a live member owns the partition but does not advance) is
 * read from the group's membership. docs/monitor.md lists where this differs from Burrow.
 */

export type PartitionStatus = 'OK' | 'WARN' | 'STOP' | 'STALL' | 'REWIND';

export interface WindowInput {
  /** Newest last. */
  end: ArrayLike<number>;
  committed: ArrayLike<number>;
  /** max(0, end - committed) per sample, when the caller has it already. */
  lag?: ArrayLike<number>;
  /** How many samples to read from index 0 (default: all of `committed`): for reused arrays. */
  count?: number;
  /** Whether a live group member has this partition assigned. */
  owned: boolean;
  allowedLag: number;
  minSamples: number;
}

export function evaluateWindow(w: WindowInput): { status: PartitionStatus; reason: string } {
  const n = w.count ?? w.committed.length;
  const committed = w.committed;
  const lag = w.lag ?? Array.from({ length: n }, (_, i) => Math.max(0, w.end[i] - committed[i]));
  const current = lag[n - 1];
  if (n === 0 || Number.isNaN(current)) return { status: 'OK', reason: 'no commit yet' };
  if (current <= w.allowedLag) return { status: 'OK', reason: 'caught up' };
  if (n < w.minSamples) return { status: 'OK', reason: `only ${n} of ${w.minSamples} samples yet` };
  // Caught up at some point in the window: a consumer that has simply not been sent anything lately
  // (Burrow: a stopped consumer on an idle topic is not STOP).
  for (let i = 0; i < n; i++) {
    if (lag[i] <= w.allowedLag) return { status: 'OK', reason: 'caught up within the window' };
  }
  for (let i = 1; i < n; i++) {
    if (committed[i] < committed[i - 1]) {
      return {
        status: 'REWIND',
        reason: `committed offset went back from ${committed[i - 1]} to ${committed[i]}`,
      };
    }
  }
  let unmoved = true;
  for (let i = 1; i < n && unmoved; i++) unmoved = committed[i] === committed[0];
  if (unmoved) {
    return w.owned
      ? {
          status: 'STALL',
          reason: `a member owns it but the committed offset stayed at ${committed[0]} with lag ${current}`,
        }
      : {
          status: 'STOP',
          reason: `no consumer and the committed offset stayed at ${committed[0]} with lag ${current}`,
        };
  }
  let falls = false;
  for (let i = 1; i < n; i++) if (lag[i] < lag[i - 1]) falls = true;
  if (!falls) return { status: 'WARN', reason: `lag never fell over ${n} samples (${lag[0]} → ${current})` };
  return { status: 'OK', reason: 'lag falls at times' };
}

/** Burrow's group roll-up: the worst partition, with STOP/STALL/REWIND reported as ERR. */
export function burrowGroupStatus(statuses: PartitionStatus[]): 'OK' | 'WARN' | 'ERR' {
  if (statuses.some((s) => s === 'STOP' || s === 'STALL' || s === 'REWIND')) return 'ERR';
  return statuses.includes('WARN') ? 'WARN' : 'OK';
}

export function statusCode(s: PartitionStatus): 0 | 1 | 2 {
  return s === 'OK' ? 0 : s === 'WARN' ? 1 : 2;
}
