import { afterEach, describe, expect, it } from 'vitest';
import type { Sink } from '../../src/consumer/types.js';
import { Lab } from '../../src/lab/lab.js';
import { waitFor } from '../helpers/burrow.js';
import { ANY_FREE_LAB_PORTS } from './helpers.js';

const PROCESSING_MS = 150;

interface Write {
  partition: number;
  offset: number;
  startedAt: number;
}

/** A sink that takes PROCESSING_MS per order and notes every write it is handed. */
function recordingSink(writes: Write[]): Sink {
  return {
    name: 'recording',
    async write(record) {
      writes.push({ partition: record.partition, offset: Number(record.offset), startedAt: Date.now() });
      await new Promise((r) => setTimeout(r, PROCESSING_MS));
    },
  };
}

let running: Lab | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

describe('pause in the lab', () => {
  it('stops the sink at the next record boundary, holds what it has, and resumes with it first', async () => {
    const writes: Write[] = [];
    const lab = await Lab.start({
      memory: true,
      ports: ANY_FREE_LAB_PORTS,
      processingTimeMs: PROCESSING_MS,
      sink: recordingSink(writes),
    });
    running = lab;
    const consumerUrl = lab.urls.consumers[0];
    const stats = async () => (await fetch(`${consumerUrl}/stats`)).json();
    const orders = 30;
    expect(
      (await fetch(`${lab.urls.producer}/produce/batch?count=${orders}`, { method: 'POST' })).status,
    ).toBe(200);
    await waitFor(
      'a few orders written and more held',
      async () => {
        const s = await stats();
        return writes.length >= 4 && s.in_flight >= 6 ? true : undefined;
      },
      20_000,
    );

    const pauseSentAt = Date.now();
    expect((await fetch(`${consumerUrl}/pause`, { method: 'POST' })).status).toBe(200);
    // The write under way finishes (within one order's processing time); no other one starts.
    const startedBeforePause = writes.filter((w) => w.startedAt <= pauseSentAt).length;
    await waitFor(
      'the sink idle',
      async () => ((await stats()).sink_active === 0 ? true : undefined),
      PROCESSING_MS * 3,
    );
    const atPause = await stats();
    const runtime = lab.consumers[0].consumer.runtime;
    const perPartition = runtime.stats().partitions;
    // Three orders' time with nothing handed to the sink shows it stays stopped.
    await new Promise((r) => setTimeout(r, PROCESSING_MS * 3));
    expect(writes.length).toBeLessThanOrEqual(startedBeforePause + 1);
    const writtenAtPause = writes.length;
    expect(atPause.held).toBeGreaterThan(0);
    expect(atPause.held).toBe(atPause.in_flight);
    expect((await stats()).held).toBe(atPause.held);

    // The held orders are, per partition, the ones right after the last written: resume writes them
    // first (each partition's held orders before anything it fetches after the resume; partitions take
    // turns as ever).
    const lastWritten = new Map<number, number>();
    for (const w of writes)
      lastWritten.set(w.partition, Math.max(lastWritten.get(w.partition) ?? -1, w.offset));
    const held = new Map(
      perPartition.map((p) => [
        p.partition,
        Array.from({ length: p.inFlight }, (_, i) => (lastWritten.get(p.partition) ?? -1) + 1 + i),
      ]),
    );
    expect([...held.values()].flat().length).toBe(atPause.held);
    expect((await fetch(`${consumerUrl}/resume`, { method: 'POST' })).status).toBe(200);
    await waitFor('every order written', async () => (writes.length >= orders ? true : undefined), 30_000);
    const resumed = writes.slice(writtenAtPause);
    const first = resumed[0];
    expect(held.get(first.partition)).toContain(first.offset);
    for (const [partition, offsets] of held) {
      const next = resumed.filter((w) => w.partition === partition).slice(0, offsets.length);
      expect({ partition, offsets: next.map((w) => w.offset) }).toEqual({ partition, offsets });
    }

    // Nothing lost, nothing twice; and every order committed.
    const keys = writes.map((w) => `${w.partition}:${w.offset}`);
    expect(new Set(keys).size).toBe(orders);
    expect(keys.length).toBe(orders);
    await waitFor(
      'the lag back to 0',
      async () => {
        const committed = runtime.stats().partitions.reduce((s, p) => s + Number(p.committed ?? 0), 0);
        return committed === orders ? true : undefined;
      },
      10_000,
    );
  });
});
