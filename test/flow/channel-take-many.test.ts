import { describe, expect, it } from 'vitest';
import { Channel } from '../../src/flow/index.js';
import { RingBuffer } from '../../src/flow/ring-buffer.js';

describe('Channel.tryReceiveMany', () => {
  it('moves the oldest items into a reused array, at most `max` at a time, and counts them', () => {
    const ch = new Channel<number>({ capacity: 8 });
    for (let i = 1; i <= 5; i++) ch.trySend(i);
    const into: number[] = [];
    expect(ch.tryReceiveMany(into, 3)).toBe(3);
    expect(into).toEqual([1, 2, 3]);
    expect(ch.tryReceiveMany(into, 3)).toBe(2);
    expect(into.slice(0, 2)).toEqual([4, 5]);
    expect(ch.tryReceiveMany(into, 3)).toBe(0);
    expect(ch.stats).toMatchObject({ depth: 0, sent: 5, received: 5 });
  });

  it('frees the bytes of a byte-bounded channel and lets a blocked sender in', async () => {
    const ch = new Channel<string>({ capacity: 10, maxBytes: 4, sizeOf: (s) => s.length });
    ch.trySend('ab');
    ch.trySend('cd');
    let sent = false;
    const blocked = ch.send('ef').then(() => (sent = true));
    const into: string[] = [];
    expect(ch.tryReceiveMany(into, 1)).toBe(1);
    expect(into[0]).toBe('ab');
    await blocked;
    expect(sent).toBe(true);
    expect(ch.bytes).toBe(4); // 'cd' and 'ef'
  });

  it('never takes an item a waiting reader is about to be given', async () => {
    const ch = new Channel<number>({ capacity: 4 });
    const waiting = ch.receive();
    ch.trySend(7);
    expect(ch.tryReceiveMany([], 4)).toBe(0);
    expect(await waiting).toBe(7);
  });
});

describe('RingBuffer.shiftInto', () => {
  it('moves the oldest items in order across wrap-around and leaves the rest', () => {
    const ring = new RingBuffer<number>(4);
    for (let i = 0; i < 3; i++) ring.push(i);
    ring.shift();
    ring.shift();
    for (let i = 3; i < 6; i++) ring.push(i); // the ring now wraps: 2, 3, 4, 5
    const into: number[] = [];
    expect(ring.shiftInto(into, 3)).toBe(3);
    expect(into).toEqual([2, 3, 4]);
    expect(ring.length).toBe(1);
    expect(ring.shiftInto(into, 3)).toBe(1);
    expect(into[0]).toBe(5);
    expect(ring.shift()).toBeUndefined();
  });
});
