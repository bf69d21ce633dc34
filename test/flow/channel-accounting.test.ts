import { describe, expect, it } from 'vitest';
import { Channel, OVERFLOW_POLICIES, type OverflowPolicy } from '../../src/flow/index.js';

/** A small deterministic PRNG so a failing sequence can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

/**
 * Random interleavings of every operation, for every policy: every offered item must be accounted
 * for at every step, no item is delivered twice or invented, and a batch arrives in its own order.
 */
async function randomRun(policy: OverflowPolicy, seed: number) {
  const rand = prng(seed);
  const ch = new Channel<number>({ capacity: 1 + Math.floor(rand() * 6), policy, sampleEvery: 3 });
  let nextId = 0;
  const offeredIds = new Set<number>();
  const received: number[] = [];
  const aborts: AbortController[] = [];
  const batches: number[][] = [];
  const pending: Promise<unknown>[] = [];
  const check = () => {
    const s = ch.stats;
    expect(s.offered).toBe(s.received + s.depth + s.dropped + s.rejected + s.cancelled + s.waitingSenders);
    expect(s.received).toBe(received.length); // once microtasks settle, every handed-over item is recorded
  };
  const take = (p: Promise<number | number[]>) => {
    pending.push(
      p.then(
        (v) => {
          received.push(...(Array.isArray(v) ? v : [v]));
        },
        () => {},
      ),
    );
  };
  const fresh = () => {
    const id = nextId++;
    offeredIds.add(id);
    return id;
  };
  for (let step = 0; step < 400; step++) {
    const r = rand();
    if (r < 0.25) {
      ch.trySend(fresh());
    } else if (r < 0.4) {
      const ac = new AbortController();
      aborts.push(ac);
      pending.push(ch.send(fresh(), ac.signal).catch(() => {}));
    } else if (r < 0.5) {
      const batch = Array.from({ length: 1 + Math.floor(rand() * 5) }, fresh);
      batches.push(batch);
      pending.push(ch.sendMany(batch).catch(() => {}));
    } else if (r < 0.65) {
      const item = ch.tryReceive();
      if (item !== undefined) received.push(item);
    } else if (r < 0.8) {
      take(ch.receive());
    } else if (r < 0.9) {
      take(ch.receiveMany(1 + Math.floor(rand() * 4)));
    } else if (aborts.length > 0) {
      aborts.splice(Math.floor(rand() * aborts.length), 1)[0].abort(new Error('gave up'));
    }
    await flush();
    check();
  }
  ch.close();
  await Promise.all(pending);
  for (const item of await drain(ch)) received.push(item);
  check();
  expect(new Set(received).size).toBe(received.length); // nothing delivered twice
  for (const id of received) expect(offeredIds.has(id)).toBe(true);
  const position = new Map(received.map((id, i) => [id, i]));
  for (const batch of batches) {
    const seen = batch.filter((id) => position.has(id)).map((id) => position.get(id)!);
    expect(seen).toEqual([...seen].sort((a, b) => a - b)); // a batch keeps its order
  }
  return ch.stats;
}

async function drain(ch: Channel<number>): Promise<number[]> {
  const out: number[] = [];
  for await (const x of ch) out.push(x);
  return out;
}

describe('Channel accounting under random interleavings', () => {
  for (const policy of OVERFLOW_POLICIES) {
    it(`${policy}: every offered item is received, queued, dropped, rejected, cancelled or still waiting`, async () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const stats = await randomRun(policy, seed);
        expect(stats.depth).toBe(0);
        expect(stats.waitingSenders).toBe(0);
        if (policy === 'block') expect(stats.dropped).toBe(0);
        if (policy === 'drop-newest' || policy === 'drop-oldest') expect(stats.rejected).toBe(0);
      }
    });
  }
});
