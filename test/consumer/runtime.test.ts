import { describe, expect, it } from 'vitest';
import { ConsumerConfigError } from '../../src/consumer/config.js';
import { DLQ_HEADERS, deadLetterMessage } from '../../src/consumer/dead-letter.js';
import type { ConsumerRecord, DeadLetterInfo, DeadLetterPublisher } from '../../src/consumer/types.js';
import { records, ScriptedSink, setup, stopOn, T } from './helpers.js';

class CollectingDeadLetter implements DeadLetterPublisher {
  readonly published: { record: ConsumerRecord; info: DeadLetterInfo }[] = [];
  failuresLeft = 0;
  async publish(record: ConsumerRecord, info: DeadLetterInfo): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('dead-letter topic unavailable');
    }
    this.published.push({ record, info });
  }
}

const committed = (source: { committed: Map<string, bigint> }, partition: number) =>
  source.committed.get(`${T}\u0000${partition}`);

describe('credit loop', () => {
  it('never holds more than maxInFlight records or maxInFlightBytes, and stops fetching without credits', async () => {
    const { clock, source, runtime } = setup(4, {
      sink: (c) => new ScriptedSink(c, () => 100),
      maxInFlight: 40,
      maxInFlightBytes: 40 * 200,
      concurrency: 8,
      ordering: 'none',
      minFetchRecords: 10,
    });
    const sink = runtime.sink as ScriptedSink;
    let violations = 0;
    sink.onStart = () => {
      const s = runtime.stats();
      if (s.inFlightRecords > 40 || s.inFlightBytes > 40 * 200) violations++;
    };
    for (let p = 0; p < 4; p++) source.append(T, p, records(500, { bytes: 100 }));
    await runtime.start();
    await clock.advance(2000);
    // 8 writers at 100 ms: about 160 done in 2 s, while 2000 arrived: the rest is lag in the source.
    const s = runtime.stats();
    expect(s.peakInFlightRecords).toBeLessThanOrEqual(40);
    expect(s.peakInFlightBytes).toBeLessThanOrEqual(40 * 200);
    expect(violations).toBe(0);
    expect(s.consumed).toBeGreaterThan(100);
    let lag = 0n;
    for (let p = 0; p < 4; p++) lag += source.lag(T, p);
    expect(lag).toBeGreaterThan(1500n);
    // Every fetch asked for no more bytes than were free.
    for (const f of source.fetchLog) expect(f.limits.maxBytes).toBeLessThanOrEqual(40 * 200);
    await stopOn(clock, runtime);
    expect(runtime.stats().inFlightRecords).toBe(0);
  });

  it("the lesson's loop: 2,000 in flight, polls of at most 500 (maxPollRecords)", async () => {
    const { clock, source, runtime } = setup(1, {
      sink: (c) => new ScriptedSink(c, () => 60_000),
      maxInFlight: 2000,
      maxInFlightBytes: 16 * 1024 * 1024,
      maxPollRecords: 500,
      concurrency: 1,
      ordering: 'none',
    });
    source.append(T, 0, records(5000, { bytes: 100 }));
    // Held records before each fetch: the steps between them are what each poll handed over.
    const heldAtFetch: number[] = [];
    const fetch = source.fetch.bind(source);
    source.fetch = (partitions, limits) => {
      heldAtFetch.push(runtime.stats().inFlightRecords);
      return fetch(partitions, limits);
    };
    await runtime.start();
    for (let i = 0; i < 20; i++) await clock.advance(10);
    const s = runtime.stats();
    expect(s.inFlightRecords).toBe(2000);
    expect(s.maxPollRecords).toBe(500);
    const polls = heldAtFetch.slice(1).map((h, i) => h - heldAtFetch[i]);
    expect(Math.max(...polls)).toBeLessThanOrEqual(500);
    expect(polls.filter((n) => n > 0).length).toBeGreaterThanOrEqual(4);
    await stopOn(clock, runtime, 10_000);
  });

  it('byte credits bind when records are large; a record larger than all of them still goes through, alone', async () => {
    const { clock, source, runtime } = setup(1, {
      sink: (c) => new ScriptedSink(c, () => 20),
      maxInFlight: 1000,
      maxInFlightBytes: 10_000,
      concurrency: 50,
      ordering: 'none',
      minFetchRecords: 1,
    });
    const sink = runtime.sink as ScriptedSink;
    let overBytes = 0;
    let concurrentWithGiant = 0;
    sink.onStart = (r) => {
      const s = runtime.stats();
      if (s.inFlightBytes > 10_000) overBytes++;
      if (r.offset === 40n && s.inFlightRecords > 1) concurrentWithGiant++;
    };
    source.append(T, 0, records(40, { bytes: 1000 }));
    source.append(T, 0, [{ key: 'giant', value: 'g'.repeat(25_000) }]);
    source.append(T, 0, records(20, { bytes: 1000 }));
    await runtime.start();
    await clock.advance(3000);
    const s = runtime.stats();
    expect(s.consumed).toBe(61);
    expect(overBytes).toBe(0);
    expect(concurrentWithGiant).toBe(0);
    // ~1 KiB records against 10,000 bytes of credit: at most 9 held at once, though 1000 record credits.
    expect(s.peakInFlightRecords).toBeLessThanOrEqual(9);
    expect(s.peakInFlightBytes).toBeLessThanOrEqual(10_000);
    await stopOn(clock, runtime);
  });

  it('parks the fetch loop while no credits are free and resumes as the sink gives them back', async () => {
    let slow = true;
    const { clock, source, runtime } = setup(1, {
      sink: (c) => new ScriptedSink(c, () => (slow ? 10_000 : 10)),
      maxInFlight: 10,
      concurrency: 10,
      ordering: 'none',
      minFetchRecords: 5,
    });
    source.append(T, 0, records(100));
    await runtime.start();
    await clock.advance(100);
    const fetchesWhenFull = source.fetchLog.length;
    expect(runtime.stats().inFlightRecords).toBe(10);
    expect(runtime.stats().fetchState).toBe('no-credits');
    await clock.advance(5000);
    expect(source.fetchLog.length).toBe(fetchesWhenFull);
    slow = false;
    await clock.advance(6000);
    // The ten slow writes finished at 10 s; fetching resumed and the fast sink drained the rest.
    await clock.advance(2000);
    expect(runtime.stats().consumed).toBe(100);
    expect(source.fetchLog.length).toBeGreaterThan(fetchesWhenFull);
    await clock.advance(1000);
    expect(committed(source, 0)).toBe(100n);
    await stopOn(clock, runtime);
  });

  it('hands records beyond the free credits back to the source (rewind) and reads them later', async () => {
    const { clock, source, runtime } = setup(1, {
      sink: (c) => new ScriptedSink(c, () => 50),
      maxInFlight: 7,
      concurrency: 7,
      minFetchRecords: 1,
      // A wrong size estimate makes the first fetch bring in more than 7 records.
      initialRecordBytes: 10_000,
    });
    const sink = runtime.sink as ScriptedSink;
    source.append(T, 0, records(60));
    await runtime.start();
    await clock.advance(3000);
    const s = runtime.stats();
    expect(s.rewound).toBeGreaterThan(0);
    expect(s.peakInFlightRecords).toBeLessThanOrEqual(7);
    expect(s.consumed).toBe(60);
    // Each offset written exactly once, in order.
    expect(sink.done().map((w) => Number(w.record.offset))).toEqual(Array.from({ length: 60 }, (_, i) => i));
    await stopOn(clock, runtime);
  });
});

describe('commit after the sink', () => {
  it('commits only the end of the contiguous completed run when completions come out of order', async () => {
    const { clock, source, runtime } = setup(1, {
      sink: (c) => new ScriptedSink(c, (r) => (r.offset === 2n ? 1000 : 10 + Number(r.offset))),
      ordering: 'none',
      concurrency: 10,
      maxInFlight: 10,
      commitIntervalMs: 100,
    });
    const sink = runtime.sink as ScriptedSink;
    source.append(T, 0, records(10));
    await runtime.start();
    await clock.advance(500);
    // 0, 1 and 3..9 are done; 2 is not: the commit stops at 2.
    expect(sink.done().length).toBe(9);
    expect(committed(source, 0)).toBe(2n);
    const part = runtime.stats().partitions[0];
    expect(part.deferred).toBe(7);
    expect(part.gapAt).toBe('2');
    await clock.advance(1000);
    expect(committed(source, 0)).toBe(10n);
    expect(runtime.stats().partitions[0].deferred).toBe(0);
    // Commits were batched on the interval, never past an unfinished record.
    for (const batch of source.commitLog)
      for (const o of batch) expect(o.offset === 2n || o.offset === 10n).toBe(true);
    await stopOn(clock, runtime);
  });

  it('caps completed-but-uncommittable records: the partition stops fetching until the gap closes', async () => {
    const { clock, source, runtime } = setup(2, {
      // Offset 5 of partition 0 takes 20 s; everything else 10 ms.
      sink: (c) => new ScriptedSink(c, (r) => (r.partition === 0 && r.offset === 5n ? 20_000 : 10)),
      ordering: 'none',
      concurrency: 20,
      maxInFlight: 20,
      maxDeferredCommits: 30,
      minFetchRecords: 1,
    });
    source.append(T, 0, records(1000));
    source.append(T, 1, records(1000));
    await runtime.start();
    await clock.advance(5000);
    const s = runtime.stats();
    const p0 = s.partitions.find((p) => p.partition === 0)!;
    const p1 = s.partitions.find((p) => p.partition === 1)!;
    expect(p0.pausedReason).toBe('deferred-cap');
    // Cap reached: at most the cap plus one fetch's worth of records behind the gap.
    expect(p0.deferred).toBeGreaterThanOrEqual(30);
    expect(p0.deferred).toBeLessThanOrEqual(30 + 20);
    expect(p0.committed).toBe('5');
    // The other partition is not held back.
    expect(p1.consumed).toBe(1000);
    await clock.advance(16_000);
    await clock.advance(2000);
    const after = runtime.stats();
    expect(after.partitions.find((p) => p.partition === 0)!.consumed).toBe(1000);
    expect(committed(source, 0)).toBe(1000n);
    await stopOn(clock, runtime);
  });
});

describe('failures', () => {
  it('retries with exponential backoff and jitter, then dead-letters, and the partition moves on', async () => {
    const dl = new CollectingDeadLetter();
    dl.failuresLeft = 1;
    const { clock, source, runtime } = setup(1, {
      sink: (c) =>
        new ScriptedSink(
          c,
          () => 5,
          (r) => r.offset === 3n,
        ),
      ordering: 'partition',
      concurrency: 4,
      retry: { maxAttempts: 4, initialBackoffMs: 100, multiplier: 2, maxBackoffMs: 10_000, jitter: 0.5 },
      deadLetter: dl,
      commitIntervalMs: 100,
    });
    const sink = runtime.sink as ScriptedSink;
    const retries: { attempt: number; delayMs: number }[] = [];
    runtime.on('retry', (e) => retries.push({ attempt: e.attempt, delayMs: e.delayMs }));
    source.append(T, 0, [
      ...records(3),
      { key: 'poison', value: 'bad', headers: [{ key: 'trace', value: Buffer.from('t-1') }] },
      ...records(6),
    ]);
    await runtime.start();
    await clock.advance(5000);
    const s = runtime.stats();
    expect(s.retries).toBe(3);
    expect(s.sinkErrors).toBe(4);
    expect(s.deadLettered).toBe(1);
    expect(s.deadLetterErrors).toBe(1);
    expect(s.consumed).toBe(10);
    expect(committed(source, 0)).toBe(10n);
    // Backoff 100, 200, 400 ms, each between 50% and 100% of that.
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3]);
    retries.forEach((r, i) => {
      const base = 100 * 2 ** i;
      expect(r.delayMs).toBeGreaterThanOrEqual(base / 2);
      expect(r.delayMs).toBeLessThanOrEqual(base);
    });
    // Partition order: the records after the poison were written only after it was dead-lettered.
    const poisonLast = Math.max(...sink.writes.filter((w) => w.record.offset === 3n).map((w) => w.endedAt!));
    for (const w of sink.writes.filter((w) => w.record.offset > 3n))
      expect(w.startedAt).toBeGreaterThanOrEqual(poisonLast);
    expect(dl.published).toHaveLength(1);
    const { record, info } = dl.published[0];
    expect(info.attempts).toBe(4);
    const msg = deadLetterMessage(record, info);
    const h = Object.fromEntries(msg.headers.map((x) => [x.key, x.value?.toString()]));
    expect(msg.key?.toString()).toBe('poison');
    expect(msg.value?.toString()).toBe('bad');
    expect(h.trace).toBe('t-1');
    expect(h[DLQ_HEADERS.attempts]).toBe('4');
    expect(h[DLQ_HEADERS.topic]).toBe(T);
    expect(h[DLQ_HEADERS.partition]).toBe('0');
    expect(h[DLQ_HEADERS.offset]).toBe('3');
    expect(h[DLQ_HEADERS.error]).toContain('scripted failure at offset 3');
    expect(h[DLQ_HEADERS.reason]).toBe('Error');
    await stopOn(clock, runtime);
  });

  it('skips (and counts) exhausted records when no dead-letter publisher is configured', async () => {
    const { clock, source, runtime } = setup(1, {
      sink: (c) =>
        new ScriptedSink(
          c,
          () => 1,
          (r) => r.offset === 0n,
        ),
      retry: { maxAttempts: 2, initialBackoffMs: 10 },
    });
    const skipped: bigint[] = [];
    runtime.on('skipped', (e) => skipped.push(e.record.offset));
    source.append(T, 0, records(3));
    await runtime.start();
    await clock.advance(2000);
    expect(skipped).toEqual([0n]);
    expect(runtime.stats().skipped).toBe(1);
    expect(committed(source, 0)).toBe(3n);
    await stopOn(clock, runtime);
  });

  it('does not retry errors marked retriable: false', async () => {
    const dl = new CollectingDeadLetter();
    const { clock, source, runtime } = setup(1, {
      sink: {
        name: 'refuses',
        write: async () => {
          throw Object.assign(new Error('400 bad record'), { retriable: false });
        },
      },
      deadLetter: dl,
    });
    source.append(T, 0, records(2));
    await runtime.start();
    await clock.advance(1000);
    expect(runtime.stats().retries).toBe(0);
    expect(dl.published.map((p) => p.info.attempts)).toEqual([1, 1]);
    await stopOn(clock, runtime);
  });
});

describe('ordering', () => {
  it('key mode: one record per key at a time, in offset order, different keys in parallel', async () => {
    const { clock, source, runtime } = setup(1, {
      sink: (c) => new ScriptedSink(c, (r) => 10 + (Number(r.offset) % 7) * 5),
      ordering: 'key',
      concurrency: 10,
    });
    const sink = runtime.sink as ScriptedSink;
    source.append(T, 0, records(60, { key: (i) => `k${i % 3}` }));
    await runtime.start();
    await clock.advance(3000);
    expect(sink.done()).toHaveLength(60);
    for (const key of ['k0', 'k1', 'k2']) {
      const ws = sink.writes.filter((w) => w.record.key?.toString() === key);
      for (let i = 1; i < ws.length; i++) {
        expect(ws[i].record.offset).toBeGreaterThan(ws[i - 1].record.offset);
        expect(ws[i].startedAt).toBeGreaterThanOrEqual(ws[i - 1].endedAt!);
      }
    }
    expect(sink.maxActive).toBe(3);
    await stopOn(clock, runtime);
  });

  it('partition mode: one record per partition at a time', async () => {
    const { clock, source, runtime } = setup(3, {
      sink: (c) => new ScriptedSink(c, () => 10),
      ordering: 'partition',
      concurrency: 10,
    });
    const sink = runtime.sink as ScriptedSink;
    for (let p = 0; p < 3; p++) source.append(T, p, records(20));
    await runtime.start();
    await clock.advance(1000);
    expect(sink.done()).toHaveLength(60);
    expect(sink.maxActive).toBe(3);
    await stopOn(clock, runtime);
  });

  it('none mode: as parallel as the concurrency limit', async () => {
    const { clock, source, runtime } = setup(1, {
      sink: (c) => new ScriptedSink(c, () => 10),
      ordering: 'none',
      concurrency: 6,
    });
    const sink = runtime.sink as ScriptedSink;
    source.append(T, 0, records(60, { key: () => 'same' }));
    await runtime.start();
    await clock.advance(1000);
    expect(sink.maxActive).toBe(6);
    await stopOn(clock, runtime);
  });

  it('adaptive concurrency (AIMD) grows while the sink is fast and backs off on failures', async () => {
    let failing = false;
    const { clock, source, runtime } = setup(1, {
      sink: (c) =>
        new ScriptedSink(
          c,
          () => 10,
          () => failing,
        ),
      ordering: 'none',
      maxInFlight: 200,
      concurrency: { adaptive: 'aimd', initial: 4, min: 1, max: 64 },
      retry: { maxAttempts: 50, initialBackoffMs: 10, maxBackoffMs: 20 },
    });
    source.append(T, 0, records(30_000));
    await runtime.start();
    await clock.advance(2000);
    const grown = runtime.stats().concurrency.limit;
    expect(grown).toBeGreaterThan(4);
    failing = true;
    await clock.advance(500);
    expect(runtime.stats().concurrency.limit).toBeLessThan(grown);
    expect(runtime.stats().concurrency.adaptive).toBe(true);
    failing = false;
    await stopOn(clock, runtime);
  });
});

describe('pause and resume', () => {
  it('by hand: no fetch while paused, fetching again after resume', async () => {
    const { clock, source, runtime } = setup(1, {
      sink: (c) => new ScriptedSink(c, () => 10),
      maxInFlight: 10,
      minFetchRecords: 1,
    });
    await runtime.start();
    runtime.pause();
    await clock.advance(300);
    // Records arriving while the last fetch before the pause is still out are handed back, not taken.
    source.append(T, 0, records(30));
    await clock.advance(1000);
    // What that fetch brought (its size is the runtime's choice) is all handed back.
    const brought = source.fetchLog.reduce((n, f) => n + f.records, 0);
    expect(brought).toBeGreaterThan(0);
    expect(runtime.stats().rewound).toBe(brought);
    const fetches = source.fetchLog.length;
    await clock.advance(2000);
    expect(runtime.stats().fetchState).toBe('paused-by-hand');
    expect(runtime.stats().consumed).toBe(0);
    expect(source.fetchLog.length).toBe(fetches);
    expect(source.lag(T, 0)).toBe(30n);
    runtime.resume();
    await clock.advance(2000);
    expect(runtime.stats().consumed).toBe(30);
    await stopOn(clock, runtime);
  });

  it('by policy: pauses when sink latency crosses the high mark, resumes below the low mark, spots thrashing', async () => {
    let latency = 10;
    const { clock, source, runtime } = setup(1, {
      sink: (c) => new ScriptedSink(c, () => latency),
      maxInFlight: 20,
      concurrency: 4,
      ordering: 'none',
      minFetchRecords: 1,
      pausePolicy: {
        latencyMs: { high: 200, low: 50 },
        windowMs: 1000,
        declareAfter: 1,
        thrashing: { windowMs: 60_000, maxFlips: 3 },
      },
    });
    const events: string[] = [];
    runtime.on('paused', (e) =>
      events.push(`paused:${e.by}:${e.by === 'policy' ? e.reasons.join(',') : ''}`),
    );
    runtime.on('resumed', (e) => events.push(`resumed:${e.by}`));
    let thrashing = false;
    runtime.on('thrashing', (r) => (thrashing = r.thrashing));
    source.append(T, 0, records(5000));
    await runtime.start();
    await clock.advance(1000);
    expect(runtime.isPaused).toBe(false);
    latency = 400;
    await clock.advance(1500);
    expect(runtime.stats().paused.byPolicy).toBe(true);
    expect(runtime.stats().paused.policyReasons).toEqual(['latency']);
    const fetches = source.fetchLog.length;
    await clock.advance(400);
    expect(source.fetchLog.length).toBe(fetches);
    latency = 10;
    // Held records finish, the window empties of slow samples, the gauge falls below the low mark.
    await clock.advance(4000);
    expect(runtime.stats().paused.byPolicy).toBe(false);
    expect(events.slice(0, 2)).toEqual(['paused:policy:latency', 'resumed:policy']);
    // Flip it twice more: thrashing.
    for (let i = 0; i < 2; i++) {
      latency = 400;
      await clock.advance(3000);
      latency = 10;
      await clock.advance(5000);
    }
    expect(thrashing).toBe(true);
    expect(runtime.stats().thrashing?.thrashing).toBe(true);
    await stopOn(clock, runtime);
  });
});

describe('rebalance and shutdown drain', () => {
  it('on revocation: stops fetching, drops queued records, finishes in-flight ones, commits, then releases', async () => {
    const { clock, source, runtime } = setup(2, {
      sink: (c) => new ScriptedSink(c, () => 300),
      ordering: 'partition',
      concurrency: 4,
      maxInFlight: 40,
      revokeDrainTimeoutMs: 5000,
      commitIntervalMs: 60_000,
    });
    const sink = runtime.sink as ScriptedSink;
    source.append(T, 0, records(50));
    source.append(T, 1, records(50));
    await runtime.start();
    await clock.advance(1000);
    // Partition 0: 3 done (0..2), offset 3 running since t=900.
    let revoked = false;
    const revoking = source.revoke([{ topic: T, partition: 0 }]).then(() => (revoked = true));
    await clock.advance(100);
    expect(revoked).toBe(false);
    expect(runtime.stats().partitions.find((p) => p.partition === 0)?.inFlight).toBe(1);
    await clock.advance(300);
    await revoking;
    expect(revoked).toBe(true);
    // The in-flight record finished and was committed before release; the queued ones were dropped.
    expect(committed(source, 0)).toBe(4n);
    expect(sink.writes.filter((w) => w.record.partition === 0)).toHaveLength(4);
    expect(runtime.stats().partitions.map((p) => p.partition)).toEqual([1]);
    // Partition 1 carries on.
    await clock.advance(2000);
    expect(runtime.stats().partitions[0].consumed).toBeGreaterThan(4);
    await stopOn(clock, runtime);
  });

  it('gives up on in-flight records at the revocation deadline: they are not committed', async () => {
    const { clock, source, runtime } = setup(1, {
      sink: (c) => new ScriptedSink(c, (r) => (r.offset === 1n ? 60_000 : 100)),
      ordering: 'none',
      concurrency: 4,
      revokeDrainTimeoutMs: 1000,
    });
    const sink = runtime.sink as ScriptedSink;
    source.append(T, 0, records(4));
    await runtime.start();
    await clock.advance(200);
    const revoking = source.revoke([{ topic: T, partition: 0 }]);
    await clock.advance(1000);
    await revoking;
    expect(committed(source, 0)).toBe(1n);
    expect(runtime.stats().abandoned).toBe(1);
    expect(runtime.stats().inFlightRecords).toBe(0);
    // The abandoned write was told to stop.
    const w = sink.writes.find((x) => x.record.offset === 1n)!;
    expect(w.ok).toBe(null);
    await stopOn(clock, runtime);
  });

  it('shutdown: stops fetching, waits for in-flight writes, commits them, leaves', async () => {
    const { clock, source, runtime } = setup(1, {
      sink: (c) => new ScriptedSink(c, () => 800),
      ordering: 'none',
      concurrency: 5,
      maxInFlight: 5,
      commitIntervalMs: 60_000,
    });
    const sink = runtime.sink as ScriptedSink;
    source.append(T, 0, records(100));
    await runtime.start();
    await clock.advance(100);
    let stopped = false;
    const stopping = runtime.stop().then(() => (stopped = true));
    await clock.advance(500);
    expect(stopped).toBe(false);
    await clock.advance(1000);
    await stopping;
    expect(committed(source, 0)).toBe(5n);
    expect(source.assigned()).toEqual([]);
    expect(runtime.stats().state).toBe('stopped');
    expect(sink.done()).toHaveLength(5);
  });
});

describe('configuration', () => {
  it('rejects bad options with a message that says what to do', () => {
    expect(() => setup(1, { sink: { name: 'x', write: async () => {} }, maxInFlight: 0 })).toThrow(
      /maxInFlight must be a whole number >= 1/,
    );
    expect(() =>
      setup(1, { sink: { name: 'x', write: async () => {} }, ordering: 'random' as never }),
    ).toThrow(ConsumerConfigError);
    expect(() =>
      setup(1, {
        sink: { name: 'x', write: async () => {} },
        pausePolicy: { latencyMs: { high: 10, low: 50 } },
      }),
    ).toThrow(/low <= high/);
  });
});
