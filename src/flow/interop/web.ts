import type { Channel } from '../channel.js';
import { isEndOf, type PipeOptions } from './iterable.js';

/**
 * A WHATWG ReadableStream that pulls from the channel only when the stream's queue has room
 * (`desiredSize`), so a slow reader leaves items in the channel. Closes when the channel is closed
 * and drained; errors when the channel fails. Cancelling the stream leaves the channel open for its
 * other readers.
 */
export function toReadableStream<T>(
  channel: Channel<T>,
  { highWaterMark = 16 }: { highWaterMark?: number } = {},
) {
  // Cancelling must not leave a receive pending: it would take an item nobody will ever read.
  const cancelled = new AbortController();
  return new ReadableStream<T>(
    {
      async pull(controller) {
        try {
          controller.enqueue(await channel.receive(cancelled.signal));
        } catch (err) {
          if (cancelled.signal.aborted) return;
          if (isEndOf(channel, err)) controller.close();
          else controller.error(err);
          return;
        }
        for (let n = controller.desiredSize ?? 0; n > 0; n--) {
          const item = channel.tryReceive();
          if (item === undefined) break;
          controller.enqueue(item);
        }
      },
      cancel() {
        cancelled.abort();
      },
    },
    new CountQueuingStrategy({ highWaterMark }),
  );
}

/**
 * A WHATWG WritableStream whose writes go into the channel; each write resolves once the channel
 * accepted the item, so `writer.ready` reflects the channel's backpressure. Closing the stream
 * closes the channel; aborting it fails the channel.
 */
export function toWritableStream<T>(
  channel: Channel<T>,
  { highWaterMark = 1, close = true }: { highWaterMark?: number; close?: boolean } = {},
) {
  return new WritableStream<T>(
    {
      write: (chunk) => channel.send(chunk),
      close: () => {
        if (close) channel.close();
      },
      abort: (reason) => {
        if (close) channel.fail(reason ?? new Error('the WritableStream was aborted'));
      },
    },
    new CountQueuingStrategy({ highWaterMark }),
  );
}

/** Pumps a ReadableStream into the channel, reading only as fast as the channel accepts. */
export async function fromReadableStream<T>(
  stream: ReadableStream<T>,
  channel: Channel<T>,
  { close = true, signal }: PipeOptions = {},
): Promise<void> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      await channel.send(value as T, signal);
    }
  } catch (err) {
    if (close) channel.fail(err);
    await reader.cancel(err).catch(() => {});
    throw err;
  } finally {
    reader.releaseLock();
  }
  if (close) channel.close();
}

/** Drains the channel into a WritableStream, waiting on `writer.ready` between items. */
export async function pipeToWritableStream<T>(
  channel: Channel<T>,
  stream: WritableStream<T>,
  { close = true, signal }: PipeOptions = {},
): Promise<void> {
  const writer = stream.getWriter();
  try {
    for (;;) {
      let batch: T[];
      try {
        batch = await channel.receiveMany(64, signal);
      } catch (err) {
        if (isEndOf(channel, err)) break;
        throw err;
      }
      for (const item of batch) {
        await writer.ready;
        writer.write(item).catch(() => {}); // failures surface through `ready` and `close`
      }
    }
    await writer.ready;
    if (close) await writer.close();
  } catch (err) {
    await writer.abort(err).catch(() => {});
    throw err;
  } finally {
    writer.releaseLock();
  }
}
