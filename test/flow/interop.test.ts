import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import {
  batches,
  Channel,
  ChannelClosedError,
  fromReadable,
  fromReadableStream,
  pipeFrom,
  pipeToWritable,
  pipeToWritableStream,
  toReadable,
  toReadableStream,
  toWritable,
  toWritableStream,
} from '../../src/flow/index.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const tick = () => new Promise((r) => setImmediate(r));

/** An async iterable that records how far it has been pulled. */
function countingSource(n: number) {
  const state = { pulled: 0 };
  async function* gen() {
    for (let i = 0; i < n; i++) {
      state.pulled++;
      yield i;
    }
  }
  return { state, iterable: gen() };
}

describe('interop: async iterables', () => {
  it('pipeFrom pulls the source only as fast as the channel drains, then closes it', async () => {
    const ch = new Channel<number>({ capacity: 4 });
    const { state, iterable } = countingSource(100);
    const done = pipeFrom(iterable, ch);
    for (let i = 0; i < 5; i++) await tick();
    expect(state.pulled).toBeLessThanOrEqual(5); // 4 queued + 1 blocked in send
    const got: number[] = [];
    for await (const batch of batches(ch, 10)) got.push(...batch);
    await done;
    expect(got).toEqual(range(100));
  });

  it('a throwing source fails the channel: readers get the items, then the error', async () => {
    const ch = new Channel<number>({ capacity: 10 });
    async function* broken() {
      yield 1;
      throw new Error('source broke');
    }
    await expect(pipeFrom(broken(), ch)).rejects.toThrow('source broke');
    expect(await ch.receive()).toBe(1);
    await expect(ch.receive()).rejects.toThrow('source broke');
  });
});

describe('interop: Node streams (object mode)', () => {
  it('Readable → Channel → Readable through pipeline keeps order and ends', async () => {
    const ch = new Channel<number>({ capacity: 8 });
    const feeding = fromReadable(Readable.from(range(1000)), ch);
    const out: number[] = [];
    await pipeline(
      toReadable(ch),
      new Writable({
        objectMode: true,
        write(chunk: number, _e, cb) {
          out.push(chunk);
          cb();
        },
      }),
    );
    await feeding;
    expect(out).toEqual(range(1000));
  });

  it("a slow Writable holds the source back through the channel's backpressure", async () => {
    const ch = new Channel<number>({ capacity: 4 });
    const { state, iterable } = countingSource(50);
    const source = Readable.from(iterable, { highWaterMark: 2 });
    const feeding = fromReadable(source, ch);
    let written = 0;
    let maxAhead = 0;
    const slow = new Writable({
      objectMode: true,
      highWaterMark: 2,
      write(_chunk, _e, cb) {
        written++;
        maxAhead = Math.max(maxAhead, state.pulled - written);
        setTimeout(cb, 1);
      },
    });
    await pipeToWritable(ch, slow);
    await feeding;
    expect(written).toBe(50);
    // Read ahead is bounded by the buffers on the way (readable 2 + channel 4 + writable 2 + in hand), not 50.
    expect(maxAhead).toBeLessThanOrEqual(12);
  });

  it('toWritable turns a full channel into write() === false and drain', async () => {
    const ch = new Channel<number>({ capacity: 2 });
    const w = toWritable(ch, { highWaterMark: 1 });
    const results = [w.write(1), w.write(2), w.write(3), w.write(4)];
    expect(results[3]).toBe(false);
    await tick();
    expect(ch.depth).toBe(2);
    const got: number[] = [];
    const drained = new Promise((r) => w.once('drain', r));
    got.push(...(await ch.receiveMany(10)));
    await drained;
    w.end();
    for await (const x of ch) got.push(x);
    expect(got).toEqual([1, 2, 3, 4]);
  });

  it('destroying a Writable with an error fails the channel; a failed channel errors its Readable', async () => {
    const ch = new Channel<number>({ capacity: 2 });
    const w = toWritable(ch);
    w.on('error', () => {});
    w.destroy(new Error('writer died'));
    await tick();
    await expect(ch.receive()).rejects.toThrow('writer died');
    const cut = new Channel<number>({ capacity: 2 });
    toWritable(cut).destroy();
    await expect(cut.receive()).rejects.toThrow(/destroyed before it ended/);
    const ended = new Channel<number>({ capacity: 2 });
    const w2 = toWritable(ended);
    w2.end(1);
    await new Promise((r) => w2.on('finish', r));
    w2.destroy();
    expect(await ended.receive()).toBe(1);
    await expect(ended.receive()).rejects.toBeInstanceOf(ChannelClosedError);

    const ch2 = new Channel<number>({ capacity: 2 });
    ch2.trySend(1);
    ch2.fail(new Error('upstream'));
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const x of toReadable(ch2)) seen.push(x as number);
      })(),
    ).rejects.toThrow('upstream');
    expect(seen).toEqual([1]);
  });
});

describe('interop: WHATWG streams', () => {
  it('ReadableStream → Channel → WritableStream keeps order and closes', async () => {
    const ch = new Channel<number>({ capacity: 4 });
    const source = new ReadableStream<number>({
      start(controller) {
        for (const i of range(200)) controller.enqueue(i);
        controller.close();
      },
    });
    const feeding = fromReadableStream(source, ch);
    const out: number[] = [];
    await pipeToWritableStream(
      ch,
      new WritableStream<number>({
        write(chunk) {
          out.push(chunk);
        },
      }),
    );
    await feeding;
    expect(out).toEqual(range(200));
  });

  it('toReadableStream pulls only what the reader has room for; pipeTo into toWritableStream works', async () => {
    const ch = new Channel<number>({ capacity: 100 });
    for (const i of range(50)) ch.trySend(i);
    const rs = toReadableStream(ch, { highWaterMark: 5 });
    await tick();
    expect(ch.depth).toBeGreaterThanOrEqual(44); // the stream buffered only up to its high-water mark
    ch.close();
    const sink = new Channel<number>({ capacity: 8 });
    const piping = rs.pipeTo(toWritableStream(sink));
    const got: number[] = [];
    for await (const x of sink) got.push(x);
    await piping;
    expect(got).toEqual(range(50));
  });

  it('cancelling a ReadableStream (or destroying a Readable) leaves unread items in the channel', async () => {
    const ch = new Channel<number>({ capacity: 4 });
    const rs = toReadableStream(ch, { highWaterMark: 1 });
    const reader = rs.getReader();
    const first = reader.read();
    ch.trySend(1);
    expect((await first).value).toBe(1);
    await tick(); // the stream is now waiting for the next item
    await reader.cancel();
    ch.trySend(2);
    await tick();
    expect(ch.tryReceive()).toBe(2);

    const r = toReadable(ch);
    r.on('data', () => {});
    await tick();
    r.destroy();
    await tick();
    ch.trySend(3);
    await tick();
    expect(ch.tryReceive()).toBe(3);
  });

  it('aborting a WritableStream fails the channel', async () => {
    const ch = new Channel<number>({ capacity: 2 });
    const ws = toWritableStream(ch);
    await ws.abort(new Error('client went away'));
    await expect(ch.receive()).rejects.toThrow('client went away');
  });
});
