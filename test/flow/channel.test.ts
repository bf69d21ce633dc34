import { describe, expect, it } from 'vitest';
import { Channel, ChannelClosedError, ChannelOverflowError, VirtualClock } from '../../src/flow/index.js';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

describe('Channel: validation', () => {
  it('rejects bad options with a message that says what to do', () => {
    expect(() => new Channel({ capacity: 0 })).toThrow(/capacity must be a whole number >= 1/);
    expect(() => new Channel({ capacity: 1.5 })).toThrow(/whole number/);
    expect(() => new Channel({ capacity: 4, policy: 'nope' as never })).toThrow(/use one of block/);
    expect(() => new Channel({ capacity: 4, maxBytes: 10 })).toThrow(/needs sizeOf/);
    expect(() => new Channel({ capacity: 4, policy: 'sample', sampleProbability: 2 })).toThrow(
      /between 0 and 1/,
    );
  });
});

describe('Channel: block policy', () => {
  it('holds senders when full and wakes them in FIFO order as readers make room', async () => {
    const clock = new VirtualClock();
    const ch = new Channel<string>({ capacity: 2, clock });
    await ch.send('a');
    await ch.send('b');
    const order: string[] = [];
    const pending = ['c', 'd', 'e'].map((x) => ch.send(x).then(() => order.push(x)));
    await clock.advance(0);
    expect(order).toEqual([]);
    expect(ch.stats.waitingSenders).toBe(3);
    expect(ch.trySend('f')).toBe(false); // must not jump the queue of blocked senders

    await clock.advance(250);
    expect(await ch.receive()).toBe('a');
    await clock.advance(0);
    expect(order).toEqual(['c']);
    expect(ch.tryReceive()).toBe('b');
    expect(ch.tryReceive()).toBe('c');
    await Promise.all(pending);
    expect(order).toEqual(['c', 'd', 'e']);
    expect(await ch.receiveMany(10)).toEqual(['d', 'e']);
    const s = ch.stats;
    expect(s.blockedSends).toBe(3);
    expect(s.blockedMs).toBe(750); // three senders, each blocked for 250 virtual ms
    expect(s.rejected).toBe(1);
    expect(s.dropped).toBe(0);
  });

  it('holds a fast producer to the consumer pace, in order and without loss', async () => {
    const clock = new VirtualClock();
    const ch = new Channel<number>({ capacity: 5, clock });
    const got: number[] = [];
    const producer = (async () => {
      for (const i of range(50)) await ch.send(i);
      ch.close();
    })();
    const consumer = (async () => {
      for await (const x of ch) {
        got.push(x);
        await clock.sleep(10);
      }
    })();
    await clock.runUntilIdle();
    await Promise.all([producer, consumer]);
    expect(got).toEqual(range(50));
    expect(clock.now()).toBe(500);
    expect(ch.stats.maxDepth).toBe(5);
  });

  it('bounds by bytes as well as count, and lets one oversized item through an empty channel', async () => {
    const ch = new Channel<string>({ capacity: 100, maxBytes: 10, sizeOf: (s) => s.length });
    expect(ch.trySend('aaaa')).toBe(true);
    expect(ch.trySend('bbbb')).toBe(true);
    expect(ch.trySend('cccc')).toBe(false); // 12 bytes would exceed 10
    expect(ch.bytes).toBe(8);
    ch.tryReceive();
    ch.tryReceive();
    expect(ch.bytes).toBe(0);
    expect(ch.trySend('x'.repeat(50))).toBe(true);
    expect(ch.trySend('y')).toBe(false);
    expect(ch.bytes).toBe(50);
  });

  it('sendMany and receiveMany move batches and block in the middle of a batch', async () => {
    const clock = new VirtualClock();
    const ch = new Channel<number>({ capacity: 4, clock });
    let sent = false;
    const p = ch.sendMany(range(10)).then(() => {
      sent = true;
    });
    await clock.advance(0);
    expect(sent).toBe(false);
    expect(ch.depth).toBe(4);
    const got: number[] = [];
    while (got.length < 10) got.push(...(await ch.receiveMany(3)));
    await p;
    expect(got).toEqual(range(10));
    expect(ch.stats.sent).toBe(10);
  });
});

describe('Channel: discarding policies count exactly what they discard', () => {
  it('drop-newest refuses new items and counts them', async () => {
    const ch = new Channel<number>({ capacity: 3, policy: 'drop-newest' });
    for (const i of range(10)) await ch.send(i);
    expect(await ch.receiveMany(10)).toEqual([0, 1, 2]);
    expect(ch.stats).toMatchObject({ offered: 10, sent: 3, dropped: 7, received: 3 });
  });

  it('drop-oldest displaces old items so readers see the newest', async () => {
    const ch = new Channel<number>({ capacity: 3, policy: 'drop-oldest' });
    for (const i of range(10)) expect(ch.trySend(i)).toBe(true);
    expect(await ch.receiveMany(10)).toEqual([7, 8, 9]);
    expect(ch.stats).toMatchObject({ offered: 10, sent: 10, dropped: 7, received: 3 });
  });

  it('sample keeps exactly 1 in N of the overflow, displacing the oldest', async () => {
    const ch = new Channel<number>({ capacity: 5, policy: 'sample', sampleEvery: 10 });
    for (const i of range(105)) ch.trySend(i); // 5 fit, 100 overflow
    const s = ch.stats;
    expect(s.sampled).toBe(10);
    expect(s.dropped).toBe(100); // 90 new ones refused + 10 old ones displaced
    expect(s.depth).toBe(5);
    // Overflow items 14, 24, ... 104 were kept (the 10th, 20th, ... of the overflow); the newest five remain.
    expect(await ch.receiveMany(10)).toEqual([64, 74, 84, 94, 104]);
  });

  it('sample by probability uses the injected random source', () => {
    const draws = [0.1, 0.9, 0.1, 0.9];
    let i = 0;
    const ch = new Channel<number>({
      capacity: 1,
      policy: 'sample',
      sampleProbability: 0.5,
      random: () => draws[i++ % draws.length],
    });
    ch.trySend(0);
    for (const x of range(8, 1)) ch.trySend(x);
    expect(ch.stats.sampled).toBe(4);
    expect(ch.stats.dropped).toBe(8);
    expect(ch.tryReceive()).toBe(7);
  });

  it('fail rejects with a typed error that explains what to do', async () => {
    const ch = new Channel<number>({ capacity: 1, policy: 'fail', name: 'orders' });
    await ch.send(1);
    const err = await ch.send(2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelOverflowError);
    expect((err as ChannelOverflowError).message).toMatch(/"orders" is full \(1\/1 items\).*'fail'/);
    expect(ch.trySend(3)).toBe(false);
    expect(ch.stats.rejected).toBe(2);
  });
});

describe('Channel: abort, close and fail', () => {
  it('aborting a blocked send removes it from the queue and keeps FIFO for the rest', async () => {
    const clock = new VirtualClock();
    const ch = new Channel<string>({ capacity: 1, clock });
    ch.trySend('a');
    const ac = new AbortController();
    const aborted = ch.send('b', ac.signal);
    const kept = ch.send('c');
    ac.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    expect(ch.stats.waitingSenders).toBe(1);
    expect(await ch.receive()).toBe('a');
    await kept;
    expect(await ch.receive()).toBe('c');
    expect(ch.depth).toBe(0);
  });

  it('aborting a waiting receive rejects it and later items go to the next reader', async () => {
    const ch = new Channel<number>({ capacity: 4 });
    const ac = new AbortController();
    const r1 = ch.receive(ac.signal);
    const r2 = ch.receive();
    ac.abort(new Error('timeout'));
    await expect(r1).rejects.toThrow('timeout');
    ch.trySend(42);
    expect(await r2).toBe(42);
    await expect(ch.receive(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('close lets readers drain, then ends; senders get ChannelClosedError', async () => {
    const ch = new Channel<number>({ capacity: 2 });
    ch.trySend(1);
    ch.trySend(2);
    const blocked = ch.send(3);
    ch.close();
    await expect(blocked).rejects.toBeInstanceOf(ChannelClosedError);
    await expect(ch.send(4)).rejects.toBeInstanceOf(ChannelClosedError);
    expect(() => ch.trySend(5)).toThrow(ChannelClosedError);
    const got: number[] = [];
    for await (const x of ch) got.push(x);
    expect(got).toEqual([1, 2]);
    await expect(ch.receive()).rejects.toBeInstanceOf(ChannelClosedError);
    expect(ch.done).toBe(true);
  });

  it('an iterator waiting on an empty channel gets items as they come, then ends on close or throws on fail', async () => {
    const ch = new Channel<number>({ capacity: 2 });
    const got: number[] = [];
    const reading = (async () => {
      for await (const x of ch) got.push(x);
    })();
    await Promise.resolve();
    ch.trySend(1);
    await new Promise((r) => setImmediate(r));
    ch.trySend(2);
    await new Promise((r) => setImmediate(r));
    ch.close();
    await reading;
    expect(got).toEqual([1, 2]);

    const failing = new Channel<number>({ capacity: 2 });
    const boom = new Error('boom');
    const reader = (async () => {
      for await (const _ of failing) {
        // nothing arrives
      }
    })();
    await Promise.resolve();
    failing.fail(boom);
    await expect(reader).rejects.toBe(boom);
  });

  it('close wakes idle readers with the end', async () => {
    const ch = new Channel<number>({ capacity: 2 });
    const waiting = ch.receive();
    const many = ch.receiveMany(5);
    ch.close();
    await expect(waiting).rejects.toBeInstanceOf(ChannelClosedError);
    await expect(many).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it('fail delivers what was queued, then the error, to readers and iterators', async () => {
    const ch = new Channel<number>({ capacity: 4 });
    ch.trySend(1);
    ch.trySend(2);
    const boom = new Error('upstream broke');
    ch.fail(boom);
    const sendErr = await ch.send(3).catch((e: unknown) => e);
    expect(sendErr).toBeInstanceOf(ChannelClosedError);
    expect((sendErr as Error).cause).toBe(boom);
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const x of ch) got.push(x);
      })(),
    ).rejects.toBe(boom);
    expect(got).toEqual([1, 2]);
    await expect(ch.receive()).rejects.toBe(boom);
  });

  it('serves waiting readers in FIFO order; newcomers cannot take items meant for them', async () => {
    const ch = new Channel<number>({ capacity: 2 });
    const first = ch.receive();
    const second = ch.receive();
    expect(ch.trySend(7)).toBe(true);
    expect(ch.trySend(8)).toBe(true);
    expect(ch.trySend(9)).toBe(false); // items count against capacity until a reader has them
    expect(ch.tryReceive()).toBeUndefined(); // would jump the queue of waiting readers
    const third = ch.receive();
    expect(await first).toBe(7);
    expect(await second).toBe(8);
    ch.trySend(10);
    expect(await third).toBe(10);
    expect(ch.stats).toMatchObject({ sent: 3, received: 3, depth: 0, waitingReceivers: 0 });
  });

  it('a waiting receiveMany picks up everything sent before it woke', async () => {
    const ch = new Channel<number>({ capacity: 10 });
    const batch = ch.receiveMany(5);
    for (let i = 0; i < 7; i++) ch.trySend(i);
    expect(await batch).toEqual([0, 1, 2, 3, 4]);
    expect(ch.depth).toBe(2);
  });

  it('send on a channel with room returns the same settled promise (no allocation on the fast path)', () => {
    const ch = new Channel<number>({ capacity: 4 });
    expect(ch.send(1)).toBe(ch.send(2));
  });
});
