import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import type { Channel } from '../channel.js';
import { isEndOf, type PipeOptions, pipeFrom } from './iterable.js';

/**
 * A Readable (object mode) that reads from the channel only when its consumer asks (`_read`), so a
 * slow pipe downstream leaves items in the channel, where the channel's policy deals with them.
 * Ends when the channel is closed and drained; errors when the channel fails.
 */
export function toReadable<T>(
  channel: Channel<T>,
  { highWaterMark = 16 }: { highWaterMark?: number } = {},
): Readable {
  let pulling = false;
  // Destroying the Readable must not leave a receive pending: it would take an item nobody reads.
  const destroyed = new AbortController();
  const readable = new Readable({
    objectMode: true,
    highWaterMark,
    read() {
      pull();
    },
    destroy(err, callback) {
      destroyed.abort();
      callback(err);
    },
  });
  const pull = () => {
    if (pulling || readable.destroyed) return;
    pulling = true;
    for (let item = channel.tryReceive(); item !== undefined; item = channel.tryReceive()) {
      if (!readable.push(item)) {
        pulling = false;
        return;
      }
    }
    channel.receive(destroyed.signal).then(
      (item) => {
        pulling = false;
        if (readable.push(item)) pull();
      },
      (err: unknown) => {
        pulling = false;
        if (destroyed.signal.aborted) return;
        if (isEndOf(channel, err)) readable.push(null);
        else readable.destroy(err instanceof Error ? err : new Error(String(err)));
      },
    );
  };
  return readable;
}

/** Pumps a Readable into the channel; the Readable is paused while the channel is full. */
export function fromReadable<T>(
  readable: Readable,
  channel: Channel<T>,
  options?: PipeOptions,
): Promise<void> {
  return pipeFrom(readable as AsyncIterable<T>, channel, options);
}

/**
 * A Writable (object mode) whose writes go into the channel. A write completes when the channel
 * accepted the item, so a full 'block' channel makes `write()` return false and 'drain' wait, as Node
 * writers expect. Ending the Writable closes the channel; destroying it before the end fails it.
 */
export function toWritable<T>(
  channel: Channel<T>,
  { highWaterMark = 16, close = true }: { highWaterMark?: number; close?: boolean } = {},
): Writable {
  let ended = false;
  return new Writable({
    objectMode: true,
    highWaterMark,
    write(chunk: T, _encoding, callback) {
      channel.send(chunk).then(() => callback(), callback);
    },
    writev(chunks, callback) {
      channel.sendMany(chunks.map((c) => c.chunk as T)).then(() => callback(), callback);
    },
    final(callback) {
      ended = true;
      if (close) channel.close();
      callback();
    },
    destroy(err, callback) {
      // Torn down before end(): readers must not mistake the cut for a complete stream.
      if (close && !ended) channel.fail(err ?? new Error('the Writable was destroyed before it ended'));
      callback(err);
    },
  });
}

/**
 * Drains the channel into a Writable, waiting for 'drain' whenever `write()` says the Writable is
 * full. Ends the Writable (and waits for it to finish) when the channel is closed and drained.
 */
export async function pipeToWritable<T>(
  channel: Channel<T>,
  writable: Writable,
  { end = true, signal }: { end?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  for (;;) {
    let batch: T[];
    try {
      batch = await channel.receiveMany(writable.writableHighWaterMark || 16, signal);
    } catch (err) {
      if (isEndOf(channel, err)) break;
      writable.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    for (const item of batch) {
      if (!writable.write(item)) await once(writable, 'drain', { signal });
    }
  }
  if (end) {
    writable.end();
    if (!writable.writableFinished) await once(writable, 'finish', { signal });
  }
}
