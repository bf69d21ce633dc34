/**
 * A caller waiting in one of flow's queues (a channel's senders and receivers, credit and slot waiters)
 * that may give up through an AbortSignal. `settled` is set by whoever settles it first, the queue or
 * the abort, so the other side leaves it alone.
 */
export interface AbortableWaiter {
  settled: boolean;
  signal: AbortSignal | undefined;
  /** The abort listener, kept so it can be removed once the queue settles the waiter. */
  onAbort: (() => void) | undefined;
}

/**
 * When the waiter's signal aborts before the queue settles it, marks it settled and calls `leave`
 * with the abort reason (to take it off the queue's counts and reject it). No signal: nothing to arm.
 */
export function leaveOnAbort(waiter: AbortableWaiter, leave: (reason: unknown) => void): void {
  const { signal } = waiter;
  if (!signal) return;
  waiter.onAbort = () => {
    if (waiter.settled) return;
    waiter.settled = true;
    leave(signal.reason);
  };
  signal.addEventListener('abort', waiter.onAbort, { once: true });
}

/** Removes the abort listener of a waiter the queue has settled. */
export function disarmAbort(waiter: AbortableWaiter): void {
  if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
}

/**
 * Empties `queue` (closing time), skipping waiters already settled (an abort got there first): each one
 * left is marked settled, loses its abort listener and goes to `settle`, which rejects or resolves it.
 */
export function settleAll<W extends AbortableWaiter>(
  queue: { shift(): W | undefined },
  settle: (waiter: W) => void,
): void {
  for (let w = queue.shift(); w; w = queue.shift()) {
    if (w.settled) continue;
    w.settled = true;
    disarmAbort(w);
    settle(w);
  }
}
