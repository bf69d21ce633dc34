import { describe, expect, it } from 'vitest';
import {
  type Admission,
  type Delivery,
  type ProducerRecord,
  RecordAccumulator,
  recordSize,
} from '../../src/client/accumulator.js';
import { BufferFullTimeoutError, BufferOverflowError, RecordTooLargeError } from '../../src/client/errors.js';
import { VirtualClock } from '../../src/flow/clock.js';

// 79 value bytes + 21 framing = 100 bytes per record, so capacities read as record counts.
const rec = (i: number, partition = 0): ProducerRecord => ({
  topic: 't',
  partition,
  key: null,
  value: Buffer.alloc(79, i),
  timestamp: 1000 + i,
});

function deliveryOf(a: Admission): Promise<Delivery> {
  if (a.status !== 'queued') throw new Error(`expected queued, got ${a.status}`);
  return a.delivery;
}

describe('RecordAccumulator batching', () => {
  it('seals a batch at batchBytes and holds an open one for lingerMs', async () => {
    const clock = new VirtualClock();
    const acc = new RecordAccumulator(clock, { bufferBytes: 10_000, batchBytes: 300, lingerMs: 10 });
    expect(recordSize(rec(0))).toBe(100);
    for (let i = 0; i < 4; i++) await acc.append(rec(i));
    const first = acc.drain();
    expect(first.map((b) => b.entries.length)).toEqual([3]);
    expect(acc.drain()).toEqual([]);
    expect(acc.nextLingerDeadline()).toBe(10);
    await clock.advance(10);
    expect(acc.drain().map((b) => b.entries.length)).toEqual([1]);
  });

  it('frees bytes only when the broker acknowledged, and numbers offsets from the base', async () => {
    const clock = new VirtualClock();
    const acc = new RecordAccumulator(clock, { bufferBytes: 1000, batchBytes: 200, lingerMs: 0 });
    const a = await acc.append(rec(1));
    const b = await acc.append(rec(2));
    const [batch] = acc.drain();
    expect(acc.stats()).toMatchObject({ bufferedBytes: 200, inFlightBytes: 200, queuedRecords: 0 });
    acc.complete(batch, 41n, -1);
    expect(await deliveryOf(a)).toMatchObject({ status: 'delivered', offset: 41n, timestamp: 1001 });
    expect(await deliveryOf(b)).toMatchObject({ status: 'delivered', offset: 42n });
    expect(acc.stats()).toMatchObject({ bufferedBytes: 0, inFlightBytes: 0, delivered: 2 });
  });

  it('keeps order on retry: a requeued batch goes before newer records of its partition', async () => {
    const clock = new VirtualClock();
    const acc = new RecordAccumulator(clock, { bufferBytes: 1000, batchBytes: 100, lingerMs: 0 });
    await acc.append(rec(1));
    const [first] = acc.drain();
    await acc.append(rec(2));
    acc.requeue(first);
    const again = acc.drain();
    expect(again).toHaveLength(1);
    expect(again[0].entries[0].record.value?.[0]).toBe(1);
    expect(again[0].attempts).toBe(1);
  });

  it('skips partitions the sender reports busy', async () => {
    const acc = new RecordAccumulator(new VirtualClock(), {
      bufferBytes: 1000,
      batchBytes: 100,
      lingerMs: 0,
    });
    await acc.append(rec(1, 0));
    await acc.append(rec(2, 1));
    const batches = acc.drain({ isBusy: (_t, p) => p === 0 });
    expect(batches.map((b) => b.partition)).toEqual([1]);
  });

  it('rejects a record larger than the whole buffer with advice', async () => {
    const acc = new RecordAccumulator(new VirtualClock(), { bufferBytes: 150 });
    await expect(acc.append({ ...rec(0), value: Buffer.alloc(200) })).rejects.toThrow(RecordTooLargeError);
    await expect(acc.append({ ...rec(0), value: Buffer.alloc(200) })).rejects.toThrow(/raise bufferBytes/);
  });
});

describe('overflow strategy: block', () => {
  it('makes the caller wait until bytes are freed, in FIFO order', async () => {
    const clock = new VirtualClock();
    const acc = new RecordAccumulator(clock, {
      bufferBytes: 200,
      batchBytes: 100,
      lingerMs: 0,
      strategy: { kind: 'block', maxBlockMs: 1000 },
    });
    await acc.append(rec(1, 0));
    await acc.append(rec(2, 1));
    const order: number[] = [];
    const third = acc.append(rec(3)).then((a) => {
      order.push(3);
      return a;
    });
    const fourth = acc.append(rec(4)).then((a) => {
      order.push(4);
      return a;
    });
    await clock.advance(500);
    expect(order).toEqual([]);
    expect(acc.stats().blockedNow).toBe(2);
    const [b1, b2] = acc.drain();
    acc.complete(b1, 0n, -1);
    await clock.advance(0);
    expect(order).toEqual([3]);
    acc.complete(b2, 1n, -1);
    await clock.advance(0);
    expect(order).toEqual([3, 4]);
    expect((await third).status).toBe('queued');
    expect((await fourth).status).toBe('queued');
    expect(acc.stats().bufferedBytes).toBe(200);
  });

  it('fails with a clear timeout after maxBlockMs', async () => {
    const clock = new VirtualClock();
    const acc = new RecordAccumulator(clock, {
      bufferBytes: 100,
      strategy: { kind: 'block', maxBlockMs: 250 },
    });
    await acc.append(rec(1));
    const blocked = acc.append(rec(2));
    const outcome = blocked.then(
      () => 'admitted',
      (e: unknown) => e,
    );
    await clock.advance(249);
    expect(acc.stats().blockedNow).toBe(1);
    await clock.advance(1);
    const err = await outcome;
    expect(err).toBeInstanceOf(BufferFullTimeoutError);
    expect(String(err)).toMatch(/full \(100\/100 bytes\) for 250 ms/);
    expect(acc.stats()).toMatchObject({ blockTimeouts: 1, blockedNow: 0, dropped: 0 });
  });
});

describe('overflow strategy: buffer', () => {
  it('spills past bufferBytes, warns at the high mark, then refuses past the spill', async () => {
    const clock = new VirtualClock();
    const acc = new RecordAccumulator(clock, {
      bufferBytes: 200,
      batchBytes: 100,
      lingerMs: 0,
      strategy: { kind: 'buffer', spillBytes: 300, highMark: 0.8 },
    });
    const events: string[] = [];
    acc.on('highWater', (e) => events.push(`high@${e.bufferedBytes}`));
    acc.on('lowWater', (e) => events.push(`low@${e.bufferedBytes}`));
    for (let i = 0; i < 5; i++) expect((await acc.append(rec(i, i))).status).toBe('queued');
    expect(events).toEqual(['high@400']);
    await expect(acc.append(rec(9))).rejects.toThrow(BufferOverflowError);
    expect(acc.stats()).toMatchObject({ rejected: 1, bufferedBytes: 500, highWaterEvents: 1 });
    const batches = acc.drain();
    for (const b of batches.slice(0, 4)) acc.complete(b, 0n, -1);
    expect(events).toEqual(['high@400', 'low@100']);
  });
});

describe('overflow strategy: drop', () => {
  it('newest: refuses incoming records and counts them', async () => {
    const acc = new RecordAccumulator(new VirtualClock(), {
      bufferBytes: 300,
      strategy: { kind: 'drop', which: 'newest' },
    });
    const drops: unknown[] = [];
    acc.on('drop', (e) => drops.push(e));
    const outcomes = [];
    for (let i = 0; i < 10; i++) outcomes.push((await acc.append(rec(i))).status);
    expect(outcomes.filter((s) => s === 'queued')).toHaveLength(3);
    expect(outcomes.filter((s) => s === 'dropped')).toHaveLength(7);
    expect(acc.stats()).toMatchObject({ dropped: 7, droppedNewest: 7, appended: 3 });
    expect(drops).toHaveLength(7);
  });

  it('oldest: evicts waiting records (not in-flight ones) and resolves them as dropped', async () => {
    const acc = new RecordAccumulator(new VirtualClock(), {
      bufferBytes: 300,
      batchBytes: 100,
      lingerMs: 0,
      strategy: { kind: 'drop', which: 'oldest' },
    });
    const first = await acc.append(rec(0));
    const [inFlight] = acc.drain();
    const second = await acc.append(rec(1));
    await acc.append(rec(2));
    await acc.append(rec(3)); // evicts rec(1), the oldest waiting one
    expect(await deliveryOf(second)).toMatchObject({ status: 'dropped', reason: 'oldest' });
    const waiting = acc.drain();
    expect(waiting.map((b) => b.entries[0].record.value?.[0])).toEqual([2, 3].slice(0, waiting.length));
    acc.complete(inFlight, 0n, -1);
    expect(await deliveryOf(first)).toMatchObject({ status: 'delivered' });
    expect(acc.stats()).toMatchObject({ droppedOldest: 1, dropped: 1 });
  });
});

describe('overflow strategy: sample', () => {
  it('keeps exactly the configured fraction once above the mark, counting the rest', async () => {
    const acc = new RecordAccumulator(new VirtualClock(), {
      bufferBytes: 100_000,
      strategy: { kind: 'sample', rate: 0.25, above: 0.5 },
    });
    const sampled: unknown[] = [];
    acc.on('sample', (e) => sampled.push(e));
    // 500 records (50_000 bytes) go in unsampled; the next 400 are sampled at 1 in 4.
    const statuses: string[] = [];
    for (let i = 0; i < 900; i++) statuses.push((await acc.append(rec(i))).status);
    expect(statuses.slice(0, 500).every((s) => s === 'queued')).toBe(true);
    expect(statuses.slice(500, 504)).toEqual(['sampled-out', 'sampled-out', 'sampled-out', 'queued']);
    const s = acc.stats();
    expect(s.sampledKept).toBe(100);
    expect(s.sampledOut).toBe(300);
    expect(sampled).toHaveLength(300);
    expect(s.appended + s.sampledOut).toBe(900);
  });

  it('drops even kept records when the buffer is completely full', async () => {
    const acc = new RecordAccumulator(new VirtualClock(), {
      bufferBytes: 200,
      strategy: { kind: 'sample', rate: 1, above: 0.5 },
    });
    await acc.append(rec(0));
    await acc.append(rec(1));
    expect(await acc.append(rec(2))).toEqual({ status: 'dropped', reason: 'full-while-sampling' });
    expect(acc.stats().dropped).toBe(1);
  });
});

describe('configuration', () => {
  it('rejects invalid strategies with a message naming the field', () => {
    const clock = new VirtualClock();
    expect(() => new RecordAccumulator(clock, { strategy: { kind: 'sample', rate: 2 } })).toThrow(/rate/);
    expect(() => new RecordAccumulator(clock, { strategy: { kind: 'buffer', spillBytes: 0 } })).toThrow(
      /spillBytes/,
    );
    expect(() => new RecordAccumulator(clock, { bufferBytes: -1 })).toThrow(/bufferBytes/);
    expect(
      () => new RecordAccumulator(clock, { strategy: { kind: 'drop', which: 'middle' as 'newest' } }),
    ).toThrow(/newest/);
  });
});

describe('overflow policy names', () => {
  it("are Channel's words, mapped onto the strategies; the deprecated `strategy` spelling still works alone", async () => {
    const { resolveOverflowStrategy } = await import('../../src/client/accumulator.js');
    expect(resolveOverflowStrategy({})).toEqual({ kind: 'block', maxBlockMs: 60_000 });
    expect(resolveOverflowStrategy({ policy: 'block', maxBlockMs: 250 })).toEqual({
      kind: 'block',
      maxBlockMs: 250,
    });
    expect(resolveOverflowStrategy({ policy: 'drop-oldest' })).toEqual({ kind: 'drop', which: 'oldest' });
    expect(resolveOverflowStrategy({ policy: 'drop-newest' })).toEqual({ kind: 'drop', which: 'newest' });
    expect(resolveOverflowStrategy({ policy: 'sample', sampleRate: 0.5 })).toMatchObject({
      kind: 'sample',
      rate: 0.5,
    });
    expect(resolveOverflowStrategy({ policy: 'buffer', spillBytes: 100 })).toMatchObject({
      kind: 'buffer',
      spillBytes: 100,
    });
    expect(resolveOverflowStrategy({ strategy: { kind: 'drop', which: 'newest' } })).toEqual({
      kind: 'drop',
      which: 'newest',
    });
    expect(() => resolveOverflowStrategy({ policy: 'buffer' })).toThrow(/needs spillBytes/);
    expect(() =>
      resolveOverflowStrategy({ policy: 'drop-oldest', strategy: { kind: 'drop', which: 'oldest' } }),
    ).toThrow(/not both/);
    expect(() => resolveOverflowStrategy({ policy: 'drop' as never })).toThrow(
      /use block, drop-newest, drop-oldest, sample or buffer/,
    );
  });
});
