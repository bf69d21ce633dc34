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

/** Validation helper: every primitive rejects bad options with a message that says what to do. */
export function requireNumber(
  what: string,
  value: unknown,
  {
    min = -Infinity,
    integer = false,
    allowInfinity = false,
  }: { min?: number; integer?: boolean; allowInfinity?: boolean } = {},
): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${what} must be a number, got ${JSON.stringify(value)}`);
  }
  if (value === Infinity && allowInfinity) return value;
  if (!Number.isFinite(value)) throw new RangeError(`${what} must be finite, got ${value}`);
  if (integer && !Number.isInteger(value))
    throw new RangeError(`${what} must be a whole number, got ${value}`);
  if (value < min) throw new RangeError(`${what} must be at least ${min}, got ${value}`);
  return value;
}
