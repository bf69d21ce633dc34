import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LOG_CONFIG, type Durability, type LogConfig } from '../../../src/broker/storage/config.js';
import { RecordTooLargeError } from '../../../src/broker/storage/errors.js';
import { PartitionLog } from '../../../src/broker/storage/partition-log.js';
import { VirtualClock } from '../../../src/flow/clock.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import {
  buildRecordBatch,
  CorruptRecordError,
  decodeRecords,
  readBatchHeader,
  splitBatches,
} from '../../../src/protocol/record-batch.js';
import { batch, rmTemp, tempDir } from './helpers.js';

const dirs: string[] = [];
const logs: PartitionLog[] = [];
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close();
  for (const d of dirs.splice(0)) rmTemp(d);
});

async function openLog(
  durability: Durability,
  config: Partial<LogConfig> = {},
  clock = new VirtualClock(1_000_000),
  dir?: string,
) {
  const d = durability === 'memory' ? undefined : (dir ?? tempDir());
  if (d && !dir) dirs.push(d);
  const { log, recovery } = await PartitionLog.open({
    topic: 't',
    partition: 0,
    dir: d ? path.join(d, 't-0') : undefined,
    config: { ...DEFAULT_LOG_CONFIG, ...config, durability },
    clock,
  });
  logs.push(log);
  return { log, recovery, dir: d, clock };
}

/** Offsets of every record readable from `from`, fetching until the high watermark. */
async function readAllOffsets(log: PartitionLog, from = 0n, maxBytes = 1000): Promise<bigint[]> {
  const out: bigint[] = [];
  let at = from;
  while (at < log.highWatermark) {
    const r = log.read(at, maxBytes);
    expect(r.errorCode).toBeUndefined();
    const { batches, partialBytes } = splitBatches(r.records, { verifyCrc: true });
    expect(partialBytes).toBe(0);
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) {
      for (const rec of await decodeRecords(r.records.subarray(b.position, b.position + b.size))) {
        if (rec.offset >= at) out.push(rec.offset);
      }
      at = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
    }
  }
  return out;
}

for (const durability of ['memory', 'async', 'sync'] as const) {
  describe(`PartitionLog (${durability})`, () => {
    it('assigns contiguous offsets and serves the batches back byte for byte', async () => {
      const { log } = await openLog(durability);
      const a = await batch(3, { tag: 'a' });
      const b = await batch(2, { tag: 'b' });
      const ra = await log.append(Buffer.from(a));
      const rb = await log.append(Buffer.from(b));
      expect(ra).toMatchObject({ baseOffset: 0n, lastOffset: 2n, recordCount: 3, logAppendTimeMs: -1n });
      expect(rb).toMatchObject({ baseOffset: 3n, lastOffset: 4n });
      expect(log.highWatermark).toBe(5n);
      const r = log.read(0n, 1 << 20);
      expect(r.records.length).toBe(a.length + b.length);
      expect(readBatchHeader(r.records, a.length).baseOffset).toBe(3n);
      // Identical bytes except the rewritten baseOffset and leader epoch (which the CRC does not cover).
      expect(r.records.subarray(17, a.length).equals(a.subarray(17))).toBe(true);
      const recs = await decodeRecords(r.records.subarray(a.length));
      expect(recs.map((x) => [x.offset, x.value?.toString()])).toEqual([
        [3n, 'b-0'],
        [4n, 'b-1'],
      ]);
    });

    it('rolls segments by size and reads across them from any offset', async () => {
      const { log } = await openLog(durability, { segmentBytes: 2000, indexIntervalBytes: 300 });
      let expected = 0n;
      for (let i = 0; i < 60; i++) {
        const n = 1 + (i % 4);
        const r = await log.append(await batch(n, { valueBytes: 40 }));
        expect(r.baseOffset).toBe(expected);
        expected += BigInt(n);
      }
      expect(log.segmentCount).toBeGreaterThan(5);
      expect(log.highWatermark).toBe(expected);
      const all = await readAllOffsets(log);
      expect(all).toEqual(Array.from({ length: Number(expected) }, (_, i) => BigInt(i)));
      // Random fetch offsets: the first batch returned must contain the fetch offset.
      for (let k = 0; k < 100; k++) {
        const at = BigInt(Math.floor(Math.random() * Number(expected)));
        const r = log.read(at, 1);
        const h = readBatchHeader(r.records);
        expect(h.baseOffset <= at && at <= h.baseOffset + BigInt(h.lastOffsetDelta)).toBe(true);
      }
    });

    it('rolls the active segment by age (segment.ms) on the clock', async () => {
      const { log, clock } = await openLog(durability, { segmentMs: 60_000 });
      await log.append(await batch(1));
      await clock.advance(59_999);
      await log.append(await batch(1));
      expect(log.segmentCount).toBe(1);
      await clock.advance(1);
      await log.append(await batch(1));
      expect(log.segmentBaseOffsets()).toEqual([0n, 2n]);
      expect(await readAllOffsets(log)).toEqual([0n, 1n, 2n]);
    });

    it('returns at least one whole batch even when it exceeds maxBytes, and never a partial one', async () => {
      const { log } = await openLog(durability);
      const big = await batch(5, { valueBytes: 2000 });
      await log.append(Buffer.from(big));
      await log.append(await batch(1));
      const r = log.read(0n, 10);
      expect(r.records.length).toBe(big.length);
      const two = log.read(0n, big.length + 5);
      expect(splitBatches(two.records).partialBytes).toBe(0);
      expect(two.records.length).toBe(big.length);
    });

    it('answers OFFSET_OUT_OF_RANGE past the high watermark and empty at it', async () => {
      const { log } = await openLog(durability);
      await log.append(await batch(2));
      expect(log.read(2n, 100)).toMatchObject({ highWatermark: 2n, logStartOffset: 0n });
      expect(log.read(2n, 100).records.length).toBe(0);
      expect(log.read(2n, 100).errorCode).toBeUndefined();
      expect(log.read(3n, 100).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    });

    it('finds offsets by timestamp through the time index', async () => {
      const { log } = await openLog(durability, { segmentBytes: 1500, indexIntervalBytes: 200 });
      for (let i = 0; i < 40; i++) await log.append(await batch(2, { ts: 10_000 + i * 100 }));
      // batch i holds offsets 2i, 2i+1 with timestamps 10000+100i and +1
      expect(log.offsetForTimestamp(0n)).toBe(0n);
      expect(log.offsetForTimestamp(10_001n)).toBe(0n);
      expect(log.offsetForTimestamp(10_002n)).toBe(2n);
      expect(log.offsetForTimestamp(12_050n)).toBe(42n);
      expect(log.offsetForTimestamp(13_901n)).toBe(78n);
      expect(log.offsetForTimestamp(13_902n)).toBeNull();
      for (let k = 0; k < 50; k++) {
        const ts = 10_000 + Math.floor(Math.random() * 3900);
        const i = Math.ceil((ts - 10_001) / 100);
        expect(log.offsetForTimestamp(BigInt(ts))).toBe(BigInt(2 * Math.max(0, i)));
      }
    });

    it('finds the exact record for a timestamp inside a batch, compressed or not', async () => {
      const { log } = await openLog(durability);
      const recs = [5000, 5010, 4990, 5030].map((t, i) => ({ value: `v${i}`, timestamp: t }));
      await log.append(await buildRecordBatch({ records: recs }));
      await log.append(
        await buildRecordBatch({
          records: recs.map((r) => ({ ...r, timestamp: r.timestamp + 100 })),
          compression: 'lz4',
        }),
      );
      expect(await log.offsetForTimestampExact(5000n)).toBe(0n);
      expect(await log.offsetForTimestampExact(5001n)).toBe(1n);
      expect(await log.offsetForTimestampExact(5011n)).toBe(3n);
      expect(await log.offsetForTimestampExact(5105n)).toBe(5n);
      expect(await log.offsetForTimestampExact(5130n)).toBe(7n);
      expect(await log.offsetForTimestampExact(5131n)).toBeNull();
    });

    it('rejects corrupt and oversized batches with Kafka error codes, appending nothing', async () => {
      const { log } = await openLog(durability, { maxMessageBytes: 5000 });
      const bad = await batch(2);
      bad[bad.length - 1] ^= 1;
      await expect(log.append(bad)).rejects.toBeInstanceOf(CorruptRecordError);
      await expect(log.append((await batch(2)).subarray(0, 70))).rejects.toThrow(/not a whole batch/);
      const err = await log.append(await batch(10, { valueBytes: 1000 })).catch((e) => e);
      expect(err).toBeInstanceOf(RecordTooLargeError);
      expect(err.errorCode).toBe(10);
      expect(log.highWatermark).toBe(0n);
      expect(log.size).toBe(0);
    });

    it('stamps LogAppendTime with the clock and keeps the CRC valid', async () => {
      const { log, clock } = await openLog(durability, { messageTimestampType: 'LogAppendTime' });
      const r = await log.append(await batch(2, { ts: 5 }));
      expect(r.logAppendTimeMs).toBe(BigInt(clock.now()));
      const got = log.read(0n, 1000).records;
      expect(splitBatches(got, { verifyCrc: true }).batches[0].header.attributes.timestampType).toBe(
        'LogAppendTime',
      );
      expect((await decodeRecords(got)).map((x) => x.timestamp)).toEqual([
        BigInt(clock.now()),
        BigInt(clock.now()),
      ]);
    });

    it('wakes long-polling fetchers on append and times out on the clock', async () => {
      const { log, clock } = await openLog(durability);
      const woken = log.waitForData(-1n, 5000);
      const timedOut = log.waitForData(5n, 500);
      await log.append(await batch(1));
      expect(await woken).toBe(true);
      let settled: boolean | undefined;
      void timedOut.then((v) => (settled = v));
      await clock.advance(499);
      expect(settled).toBeUndefined();
      await clock.advance(1);
      expect(settled).toBe(false);
      const ctl = new AbortController();
      const aborted = log.waitForData(5n, 10_000, ctl.signal);
      await log.append(await batch(1));
      ctl.abort();
      expect(await aborted).toBe(false);
      expect(await log.waitForData(0n, 1)).toBe(true);
    });

    it('deletes by retention size and age on the clock, advancing logStartOffset', async () => {
      const { log, clock } = await openLog(durability, {
        segmentBytes: 1000,
        retentionBytes: 3000,
        retentionMs: -1,
      });
      for (let i = 0; i < 30; i++) await log.append(await batch(2, { valueBytes: 40, ts: clock.now() }));
      const before = log.size;
      expect(before).toBeGreaterThan(3000);
      const deleted = await log.applyRetention();
      expect(deleted.length).toBeGreaterThan(0);
      expect(log.size).toBeLessThan(before);
      expect(log.size).toBeGreaterThanOrEqual(3000 - 1000);
      expect(log.logStartOffset).toBe(log.segmentBaseOffsets()[0]);
      expect(log.read(0n, 100).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      expect((await readAllOffsets(log, log.logStartOffset)).at(-1)).toBe(59n);

      // Age: everything is older than retention.ms once the clock moves on.
      log.updateConfig({ ...log.getConfig(), retentionBytes: -1, retentionMs: 60_000 });
      await clock.advance(30_000);
      expect(await log.applyRetention()).toEqual([]);
      await clock.advance(31_000);
      await log.applyRetention();
      expect(log.logStartOffset).toBe(60n);
      expect(log.highWatermark).toBe(60n);
      expect(log.size).toBe(0);
      const next = await log.append(await batch(1, { ts: clock.now() }));
      expect(next.baseOffset).toBe(60n);
    });

    it('deleteRecordsBefore moves the log start and drops whole segments', async () => {
      const { log } = await openLog(durability, { segmentBytes: 800 });
      for (let i = 0; i < 20; i++) await log.append(await batch(2, { valueBytes: 30 }));
      const segs = log.segmentCount;
      expect(await log.deleteRecordsBefore(25n)).toBe(25n);
      expect(log.logStartOffset).toBe(25n);
      expect(log.segmentCount).toBeLessThan(segs);
      expect(log.read(24n, 10).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      expect(readBatchHeader(log.read(25n, 10).records).baseOffset).toBe(24n);
      await expect(log.deleteRecordsBefore(41n)).rejects.toThrow(/high watermark/);
    });
  });
}

describe('PartitionLog on disk', () => {
  it('lays out Kafka-named segment, index and time index files, and reopens cleanly', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const { log } = await openLog(
      'async',
      { segmentBytes: 1000, indexIntervalBytes: 100 },
      new VirtualClock(0),
      dir,
    );
    for (let i = 0; i < 20; i++) await log.append(await batch(2, { valueBytes: 30 }));
    const bases = log.segmentBaseOffsets();
    await log.close();
    const files = fs.readdirSync(path.join(dir, 't-0')).sort();
    expect(files).toContain('00000000000000000000.log');
    expect(files).toContain('00000000000000000000.index');
    expect(files).toContain('00000000000000000000.timeindex');
    expect(files).toContain(`${String(bases[1]).padStart(20, '0')}.log`);
    const again = await openLog(
      'async',
      { segmentBytes: 1000, indexIntervalBytes: 100 },
      new VirtualClock(0),
      dir,
    );
    expect(again.recovery).toMatchObject({ cleanShutdown: true, bytesTruncated: 0, segmentsScanned: 0 });
    expect(again.log.highWatermark).toBe(40n);
    expect(again.log.segmentBaseOffsets()).toEqual(bases);
    expect((await readAllOffsets(again.log)).length).toBe(40);
    expect((await again.log.append(await batch(1))).baseOffset).toBe(40n);
  });

  it("keeps only a few sealed segments' indexes in memory and reloads the others from disk", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const cfg = { segmentBytes: 1000, indexIntervalBytes: 100 };
    const { log } = await openLog('async', cfg, new VirtualClock(0), dir);
    for (let i = 0; i < 60; i++) await log.append(await batch(2, { valueBytes: 30, ts: 1000 + i }));
    await log.flush();
    await new Promise((r) => setTimeout(r, 50)); // let sealed segments persist their indexes
    const segments = log.segmentCount;
    expect(segments).toBeGreaterThan(8);
    for (let k = 0; k < 200; k++) {
      const at = BigInt(Math.floor(Math.random() * 120));
      const h = readBatchHeader(log.read(at, 1).records);
      expect(h.baseOffset <= at && at <= h.baseOffset + BigInt(h.lastOffsetDelta)).toBe(true);
      expect(log.residentIndexSegments).toBeLessThanOrEqual(5);
    }
    expect(log.offsetForTimestamp(1030n)).toBe(58n); // batch 29 holds timestamps 1029, 1030
    // An index file lost while running is rebuilt from the segment on its next use.
    const p = path.join(dir, 't-0');
    for (const f of fs.readdirSync(p).filter((n) => n.endsWith('.index'))) fs.rmSync(path.join(p, f));
    expect(await readAllOffsets(log)).toEqual(Array.from({ length: 120 }, (_, i) => BigInt(i)));
    expect(log.offsetForTimestamp(1002n)).toBe(2n);
  });

  it('rebuilds a missing or corrupt index', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const cfg = { segmentBytes: 1000, indexIntervalBytes: 100 };
    const { log } = await openLog('async', cfg, new VirtualClock(0), dir);
    for (let i = 0; i < 20; i++) await log.append(await batch(2, { valueBytes: 30 }));
    const bases = log.segmentBaseOffsets();
    await log.close();
    const p = path.join(dir, 't-0');
    fs.rmSync(path.join(p, '00000000000000000000.index'));
    fs.writeFileSync(path.join(p, `${String(bases[1]).padStart(20, '0')}.index`), Buffer.from('garbage!!'));
    const again = await openLog('async', cfg, new VirtualClock(0), dir);
    expect(again.recovery.indexesRebuilt).toEqual(expect.arrayContaining([0, Number(bases[1])]));
    expect(await readAllOffsets(again.log)).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i)));
    expect(fs.statSync(path.join(p, '00000000000000000000.index')).size).toBeGreaterThan(0);
  });

  it('in sync mode, N concurrent appends share one fsync (group commit)', async () => {
    const { log } = await openLog('sync');
    await log.append(await batch(1));
    const batches = await Promise.all(Array.from({ length: 50 }, (_, i) => batch(1, { tag: `c${i}` })));
    const before = log.stats.fsyncs;
    const results = await Promise.all(batches.map((b) => log.append(b)));
    expect(log.stats.fsyncs - before).toBe(1);
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i + 1)));
    // One append alone still gets its own fsync before resolving.
    const lone = log.stats.fsyncs;
    await log.append(await batch(1));
    expect(log.stats.fsyncs - lone).toBe(1);
  });

  it('in async mode, appends do not fsync; the background flush does, on the clock', async () => {
    const { log, clock } = await openLog('async', { flushIntervalMs: 1000 });
    const before = log.stats.fsyncs;
    for (let i = 0; i < 10; i++) await log.append(await batch(1));
    expect(log.stats.fsyncs).toBe(before);
    await clock.advance(1000);
    await new Promise((r) => setTimeout(r, 20));
    expect(log.stats.fsyncs).toBe(before + 1);
    await clock.advance(1000);
    await new Promise((r) => setTimeout(r, 20));
    expect(log.stats.fsyncs).toBe(before + 1); // nothing dirty, nothing to sync
  });

  it('memory mode needs no directory and writes nothing', async () => {
    const { log } = await openLog('memory');
    expect(log.dir).toBeUndefined();
    await log.append(await batch(3));
    await log.flush();
    expect(log.stats).toMatchObject({ fsyncs: 0, dirFsyncs: 0, writes: 0 });
  });
});
