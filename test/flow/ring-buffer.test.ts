import { describe, expect, it } from 'vitest';
import { Channel, RingBuffer } from '../../src/flow/index.js';

describe('RingBuffer', () => {
  it('behaves like an array queue through wrap-around and growth (checked against one)', () => {
    const ring = new RingBuffer<number>(4);
    const model: number[] = [];
    let next = 0;
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let step = 0; step < 5000; step++) {
      const r = rand();
      if (r < 0.3) {
        ring.push(next);
        model.push(next++);
      } else if (r < 0.45) {
        const n = Math.floor(rand() * 40);
        const batch = Array.from({ length: n + 3 }, (_, k) => next + k);
        ring.pushMany(batch, 2, n); // a slice from the middle of a list
        for (let k = 0; k < n; k++) model.push(batch[2 + k]);
        next += n + 3;
      } else if (r < 0.75) {
        expect(ring.shift()).toBe(model.shift());
      } else {
        const n = Math.floor(rand() * 50);
        expect(ring.shiftMany(n)).toEqual(model.splice(0, n));
      }
      expect(ring.length).toBe(model.length);
      expect(ring.peek()).toBe(model[0]);
      expect(ring.at(model.length - 1)).toBe(model[model.length - 1]);
    }
    ring.clear();
    expect(ring.length).toBe(0);
    expect(ring.shift()).toBeUndefined();
  });
});

describe('Channel batches', () => {
  it('sendMany queues what fits, wakes waiting readers, and waits for room for the rest', async () => {
    const ch = new Channel<number>({ capacity: 3 });
    const r1 = ch.receive();
    const r2 = ch.receiveMany(10);
    const sending = ch.sendMany([1, 2, 3, 4, 5, 6, 7]);
    expect(ch.depth).toBe(3);
    expect(ch.stats).toMatchObject({ offered: 4, sent: 3, waitingSenders: 1, waitingReceivers: 2 });
    expect(await r1).toBe(1);
    expect(await r2).toEqual([2, 3, 4]); // 4 came in from the blocked sender as room appeared
    const got: number[] = [];
    while (got.length < 3) got.push(...(await ch.receiveMany(10)));
    await sending;
    expect(got).toEqual([5, 6, 7]);
    expect(ch.stats).toMatchObject({ offered: 7, sent: 7, received: 7, maxDepth: 3 });
  });

  it('receiveMany rejects a bad batch size', async () => {
    const ch = new Channel<number>({ capacity: 3, name: 'batches' });
    await expect(ch.receiveMany(0)).rejects.toThrow(
      /"batches": receiveMany\(max\) needs a whole number >= 1, got 0/,
    );
    await expect(ch.receiveMany(2.5)).rejects.toThrow(/got 2.5/);
  });
});

describe('RingBuffer as a double-ended lane', () => {
  it('pushFront puts a handed-back item before the oldest, across wrap-around and growth', () => {
    const ring = new RingBuffer<number>(4);
    for (const n of [1, 2, 3]) ring.push(n);
    ring.shift();
    ring.shift(); // head now sits mid-array, so the next pushFront wraps
    ring.push(4);
    ring.pushFront(2);
    ring.pushFront(1);
    ring.pushFront(0); // full at 4: this one grows the buffer
    expect([...ring]).toEqual([0, 1, 2, 3, 4]);
    expect(ring.shift()).toBe(0);
    expect(ring.length).toBe(4);
  });

  it('filter keeps order on both sides and the ring stays usable', () => {
    const ring = new RingBuffer<number>(4);
    for (let n = 0; n < 6; n++) ring.push(n);
    ring.shift(); // 1..5, head moved
    expect(ring.filter((n) => n % 2 === 1)).toEqual([2, 4]);
    expect([...ring]).toEqual([1, 3, 5]);
    ring.push(6);
    ring.pushFront(0);
    expect([...ring]).toEqual([0, 1, 3, 5, 6]);
    expect(ring.at(4)).toBe(6);
    expect(ring.at(5)).toBeUndefined();
  });
});
