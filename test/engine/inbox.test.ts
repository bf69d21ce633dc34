import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/engine/inbox.js';
import { Inbox } from '../../src/engine/inbox.js';

const envs = (n: number, from = 0): Envelope[] =>
  Array.from({ length: n }, (_, i) => ({ value: from + i, born: 0, bytes: 8 }));

describe('Inbox: items taken from the channel in groups', () => {
  it('still count as queued: depth, level, bytes and credit are what one-at-a-time taking gives', () => {
    const inbox = new Inbox('t.in', 64, Number.POSITIVE_INFINITY);
    expect(inbox.tryOfferMany(envs(64), 64)).toBe(64);
    expect(inbox.tryOfferMany(envs(1, 64), 1)).toBe(0); // full: no credit
    expect(inbox.tryTake()?.value).toBe(0); // the channel hands over a group; one item is taken
    expect(inbox.depth).toBe(63);
    expect(inbox.level).toBeCloseTo(63 / 64);
    expect(inbox.bytes).toBe(63 * 8);
    // Items in the group hold their credit until taken: one slot is free (granted back in a batch,
    // which a dropping sender still sees), never the whole group.
    expect(inbox.tryOffer(envs(1, 64)[0])).toBe(true);
    expect(inbox.tryOffer(envs(1, 65)[0])).toBe(false);
    const order: number[] = [];
    for (let env = inbox.tryTake(); env; env = inbox.tryTake()) order.push(env.value as number);
    expect(order).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(inbox.depth).toBe(0);
    expect(inbox.maxDepth).toBe(64);
  });

  it('take() hands over what is in hand before it waits, then CLOSED once drained', async () => {
    const inbox = new Inbox('t.in', 8, Number.POSITIVE_INFINITY);
    inbox.addSender();
    inbox.tryOfferMany(envs(3), 3);
    expect(inbox.tryTake()?.value).toBe(0);
    inbox.senderDone();
    const signal = new AbortController().signal;
    expect(((await inbox.take(signal)) as Envelope).value).toBe(1);
    expect(((await inbox.take(signal)) as Envelope).value).toBe(2);
    expect(typeof (await inbox.take(signal))).toBe('symbol');
  });

  it('calls its level listener only when the depth reaches the bounds it was given', () => {
    const inbox = new Inbox('t.in', 10, Number.POSITIVE_INFINITY);
    const seen: number[] = [];
    inbox.onLevel = (q) => seen.push(q.depth);
    inbox.notifyAtOrAbove = 8;
    inbox.notifyAtOrBelow = 2;
    for (const env of envs(9)) inbox.tryOffer(env);
    for (let i = 0; i < 9; i++) inbox.tryTake();
    expect(seen).toEqual([8, 9, 2, 1, 0]);
  });

  it('a blocked sender moves a group per wake-up and never past capacity, in order', async () => {
    const inbox = new Inbox('t.in', 64, Number.POSITIVE_INFINITY); // grants credit back 2 at a time
    inbox.tryOfferMany(envs(64), 64);
    let moved = false;
    const sending = inbox.offerAll(envs(5, 64), new AbortController().signal).then(() => (moved = true));
    const taken: number[] = [];
    const takeOne = async () => {
      taken.push(inbox.tryTake()!.value as number);
      for (let i = 0; i < 5; i++) await Promise.resolve(); // let the sender's continuations run
    };
    await takeOne();
    expect(inbox.depth).toBe(63); // one free slot: less than a group, the sender still waits
    await takeOne();
    expect(inbox.depth).toBe(64); // two free slots: a group of two moved in at once
    while (!moved) await takeOne();
    await sending;
    expect(inbox.maxDepth).toBe(64);
    for (let env = inbox.tryTake(); env; env = inbox.tryTake()) taken.push(env.value as number);
    expect(taken).toEqual(Array.from({ length: 69 }, (_, i) => i));
  });
});
