import { checkNumber } from './validate.js';

/** Raised to senders once a channel is closed, and to readers once it is closed and drained. */
export class ChannelClosedError extends Error {
  override readonly name = 'ChannelClosedError';
  constructor(
    readonly channel: string,
    message = `channel "${channel}" is closed`,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Raised by a channel with the 'fail' overflow policy when an item does not fit. */
export class ChannelOverflowError extends Error {
  override readonly name = 'ChannelOverflowError';
  constructor(
    readonly channel: string,
    readonly depth: number,
    readonly capacity: number,
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(
      `channel "${channel}" is full (${depth}/${capacity} items` +
        (Number.isFinite(maxBytes) ? `, ${bytes}/${maxBytes} bytes` : '') +
        `) and its overflow policy is 'fail': slow the sender down, raise the capacity or pick another policy`,
    );
  }
}

/** Raised to waiters of a semaphore-like primitive (Credits, Limiter) that was closed under them. */
export class FlowClosedError extends Error {
  override readonly name = 'FlowClosedError';
}

/** Validation helper for the flow primitives' options (the shared rules: `validate.ts`). */
export function requireNumber(
  what: string,
  value: unknown,
  rule: { min?: number; integer?: boolean; allowInfinity?: boolean } = {},
): number {
  return checkNumber(what, value, rule);
}
