import type { Channel } from '../channel.js';
import { ChannelClosedError } from '../errors.js';

export interface PipeOptions {
  /** Close the channel when the source ends (and fail it when the source throws). Default true. */
  close?: boolean;
  signal?: AbortSignal;
}

/**
 * Feeds a channel from any (async) iterable, waiting on the channel's backpressure between items: a
 * 'block' channel that is full stops the iteration, so the source is pulled no faster than the
 * channel drains. Resolves when the source is exhausted; rejects (and fails the channel) if it throws.
 */
export async function pipeFrom<T>(
  source: AsyncIterable<T> | Iterable<T>,
  channel: Channel<T>,
  { close = true, signal }: PipeOptions = {},
): Promise<void> {
  try {
    for await (const item of source) await channel.send(item, signal);
  } catch (err) {
    if (close) channel.fail(err);
    throw err;
  }
  if (close) channel.close();
}

/** True when `err` is the normal end of `channel` (closed and drained), not a failure. */
export function isEndOf<T>(channel: Channel<T>, err: unknown): boolean {
  return (
    err instanceof ChannelClosedError && err.channel === channel.name && channel.stats.state === 'closed'
  );
}

/**
 * Reads a channel in batches of up to `max` items (one await per batch rather than per item); ends
 * when the channel is closed and drained.
 */
export async function* batches<T>(
  channel: Channel<T>,
  max: number,
  signal?: AbortSignal,
): AsyncGenerator<T[]> {
  for (;;) {
    let batch: T[];
    try {
      batch = await channel.receiveMany(max, signal);
    } catch (err) {
      if (isEndOf(channel, err)) return;
      throw err;
    }
    yield batch;
  }
}
