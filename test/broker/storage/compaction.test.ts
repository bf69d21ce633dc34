import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LOG_CONFIG, type Durability, type LogConfig } from '../../../src/broker/storage/config.js';
import { PartitionLog } from '../../../src/broker/storage/partition-log.js';
import { VirtualClock } from '../../../src/flow/clock.js';
import { buildRecordBatch, decodeRecords, splitBatches } from '../../../src/protocol/record-batch.js';
import { rmTemp, tempDir } from './helpers.js';

const dirs: string[] = [];
const logs: PartitionLog[] = [];
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close();
  for (const d of dirs.splice(0)) rmTemp(d);
});

const COMPACTED: Partial<LogConfig> = { cleanupPolicy: 'compact', segmentBytes: 400, indexIntervalBytes: 64 };

async function openLog(
  durability: Durability,
  dir?: string,
  config: Partial<LogConfig> = {},
  clock?: VirtualClock,
) {
  const c = clock ?? new VirtualClock(1_000_000);
  const { log, recovery } = await PartitionLog.open({
    topic: 't',
    partition: 0,
    dir: dir ? path.join(dir, 't-0') : undefined,
    config: { ...DEFAULT_LOG_CONFIG, ...COMPACTED, ...config, durability },
    clock: c,
  });
  logs.push(log);
  return { log, recovery, clock: c };
}

function newDir(): string {
  const d = tempDir('sluice-compact-');
  dirs.push(d);
  return d;
}

interface Rec {
  key: string | null;
  value: string | null;
  ts?: number;
}

/** Appends one batch per call; each value names the offset it was written at (`key@offset`). */
async function appendKeyed(log: PartitionLog, records: Rec[], now: number): Promise<void> {
  const base = Number(log.logEndOffset);
  const buf = await buildRecordBatch({
    records: records.map((r, i) => ({
      key: r.key,
      value: r.value === null ? null : `${r.value}@${base + i}`,
      timestamp: r.ts ?? now,
    })),
  });
  await log.append(buf);
}

interface Seen {
  offset: number;
  key: string | null;
  value: string | null;
}

/** Every record readable from `from` to the high watermark, checking no read fails or stalls. */
async function readAll(log: PartitionLog, from = 0n): Promise<Seen[]> {
  const out: Seen[] = [];
  let at = from;
  while (at < log.highWatermark) {
    const r = log.read(at, 300);
    expect(r.errorCode).toBeUndefined();
    const { batches, partialBytes } = splitBatches(r.records, { verifyCrc: true });
    expect(partialBytes).toBe(0);
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) {
      for (const rec of await decodeRecords(r.records.subarray(b.position, b.position + b.size))) {
        if (rec.offset < at) continue;
        out.push({
          offset: Number(rec.offset),
          key: rec.key?.toString() ?? null,
          value: rec.value?.toString() ?? null,
        });
      }
      at = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
    }
  }
  return out;
}

/** 4 keys overwritten round after round: 12 batches of 3 records, offsets 0..35, several segments. */
async function fillRounds(log: PartitionLog, now: number, rounds = 12): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    await appendKeyed(
      log,
      [0, 1, 2].map((i) => ({ key: `k${(round * 3 + i) % 4}`, value: `v${round}` })),
      now,
    );
  }
}

/** The newest record per key among `seen`, as Kafka's compaction defines the survivors. */
function latestPerKey(seen: Seen[]): Map<string | null, Seen> {
  const m = new Map<string | null, Seen>();
  for (const s of seen) m.set(s.key, s);
  return m;
}

describe.each(['memory', 'async'] as const)('log compaction (%s)', (durability) => {
  it('keeps the newest record per key at its original offset, leaves the log start and the active segment alone', async () => {
    const dir = durability === 'memory' ? undefined : newDir();
    const { log, clock } = await openLog(durability, dir);
    await fillRounds(log, clock.now());
    const before = await readAll(log);
    expect(before.map((s) => s.offset)).toEqual(Array.from({ length: 36 }, (_, i) => i));
    const segments = log.segmentBaseOffsets();
    expect(segments.length).toBeGreaterThan(3);
    const activeBase = Number(segments[segments.length - 1]);
    const activeBefore = log.read(BigInt(activeBase), 1 << 20).records;

    const result = await log.compact();
    expect(result.recordsRemoved).toBeGreaterThan(0);
    expect(log.logStartOffset).toBe(0n);
    expect(log.highWatermark).toBe(36n);
    expect(log.segmentBaseOffsets()).toEqual(segments);
    expect(Buffer.compare(log.read(BigInt(activeBase), 1 << 20).records, activeBefore)).toBe(0);

    const after = await readAll(log);
    // Every survivor is the very record written at that offset.
    for (const s of after) expect(s.value).toBe(`${before[s.offset].value}`);
    // In the cleaned segments, only each key's newest record (within them) is left.
    const sealed = before.filter((s) => s.offset < activeBase);
    const newest = latestPerKey(sealed);
    const afterSealed = after.filter((s) => s.offset < activeBase);
    const keptOffsets = new Set(afterSealed.map((s) => s.offset));
    for (const s of sealed) {
      const isNewest = newest.get(s.key)?.offset === s.offset;
      // The newest cleanable batch stays whole (the log's last closed batch is never emptied).
      const inLastSealedBatch = s.offset >= activeBase - 3;
      if (!inLastSealedBatch) expect(keptOffsets.has(s.offset)).toBe(isNewest);
    }
    expect(afterSealed.length).toBeLessThan(sealed.length);
    // The active segment still holds everything appended to it.
    expect(after.filter((s) => s.offset >= activeBase)).toEqual(before.filter((s) => s.offset >= activeBase));
    // The final state per key is what it was before compaction.
    expect(latestPerKey(after)).toEqual(latestPerKey(before));
  });

  it('serves a fetch at a compacted-away offset from the next surviving batch, never OFFSET_OUT_OF_RANGE', async () => {
    const dir = durability === 'memory' ? undefined : newDir();
    const { log, clock } = await openLog(durability, dir);
    await fillRounds(log, clock.now());
    await log.compact();
    const kept = (await readAll(log)).map((s) => s.offset);
    for (let o = 0; o < Number(log.highWatermark); o++) {
      const r = log.read(BigInt(o), 1);
      expect(r.errorCode).toBeUndefined();
      const first = splitBatches(r.records).batches[0];
      const records = await decodeRecords(r.records.subarray(first.position, first.position + first.size));
      const next = kept.find((k) => k >= o);
      expect(records.some((rec) => Number(rec.offset) === next)).toBe(true);
      expect(records.every((rec) => kept.includes(Number(rec.offset)))).toBe(true);
    }
  });

  it('keeps tombstones for delete.retention.ms, then removes them; drops keyless records', async () => {
    const dir = durability === 'memory' ? undefined : newDir();
    const { log, clock } = await openLog(durability, dir, { deleteRetentionMs: 60_000 });
    await appendKeyed(
      log,
      [
        { key: 'gone', value: 'a' },
        { key: null, value: 'nokey' },
        { key: 'stay', value: 'b' },
      ],
      clock.now(),
    );
    await appendKeyed(
      log,
      [
        { key: 'gone', value: null },
        { key: 'x', value: 'filler-1' },
      ],
      clock.now(),
    );
    await appendKeyed(
      log,
      [
        { key: 'x', value: 'filler-2' },
        { key: 'y', value: 'filler-3' },
      ],
      clock.now(),
    );
    await appendKeyed(log, [{ key: 'x', value: 'filler-4'.repeat(60) }], clock.now());
    await appendKeyed(log, [{ key: 'z', value: 'filler-5'.repeat(60) }], clock.now());
    await appendKeyed(log, [{ key: 'active', value: 'c' }], clock.now());
    expect(log.segmentCount).toBeGreaterThan(2);

    await log.compact();
    let after = await readAll(log);
    expect(after.find((s) => s.key === 'gone' && s.value !== null)).toBeUndefined();
    expect(after.find((s) => s.key === 'gone')?.value).toBeNull();
    expect(after.find((s) => s.key === null)).toBeUndefined();
    expect(after.find((s) => s.key === 'stay')?.offset).toBe(2);

    await clock.advance(60_001);
    await log.compact();
    after = await readAll(log);
    expect(after.find((s) => s.key === 'gone')).toBeUndefined();
    expect(after.find((s) => s.key === 'stay')?.offset).toBe(2);
    expect(log.logStartOffset).toBe(0n);
    expect(log.read(0n, 1).errorCode).toBeUndefined();
  });

  it('compacts in the background on the Clock once the dirty ratio reaches min.cleanable.dirty.ratio', async () => {
    const dir = durability === 'memory' ? undefined : newDir();
    const { log, clock } = await openLog(durability, dir, { minCleanableDirtyRatio: 0.5 });
    await fillRounds(log, clock.now());
    expect(log.dirtyRatio()).toBe(1);
    const sizeBefore = log.size;
    await clock.advance(15_000);
    for (let i = 0; i < 50 && log.dirtyRatio() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(log.dirtyRatio()).toBe(0);
    expect(log.size).toBeLessThan(sizeBefore);
  });
});

describe('log compaction on disk', () => {
  it('survives a restart: cleaned segments, their rebuilt indexes and the log start are as they were', async () => {
    const dir = newDir();
    const first = await openLog('async', dir);
    await fillRounds(first.log, first.clock.now());
    await first.log.compact();
    const compacted = await readAll(first.log);
    const dirty = first.log.dirtyRatio();
    await first.log.close();
    const again = await openLog('async', dir);
    expect(again.recovery.details).toEqual([]);
    expect(again.log.logStartOffset).toBe(0n);
    expect(again.log.highWatermark).toBe(36n);
    expect(await readAll(again.log)).toEqual(compacted);
    expect(again.log.dirtyRatio()).toBe(dirty);
  });

  it('rolls back a swap interrupted before its commit point (.cleaned left behind)', async () => {
    const dir = newDir();
    const first = await openLog('async', dir);
    await fillRounds(first.log, first.clock.now());
    const original = await readAll(first.log);
    await first.log.close();
    const seg = path.join(dir, 't-0', '00000000000000000000');
    fs.writeFileSync(`${seg}.log.cleaned`, Buffer.from('half-written cleaned segment'));
    const again = await openLog('async', dir);
    expect(again.recovery.details.join('\n')).toMatch(/discarded/);
    expect(fs.existsSync(`${seg}.log.cleaned`)).toBe(false);
    expect(await readAll(again.log)).toEqual(original);
  });

  it('finishes a swap interrupted after its commit point (.swap beside the old segment and its stale indexes)', async () => {
    const dir = newDir();
    const other = newDir();
    const a = await openLog('async', dir);
    await fillRounds(a.log, a.clock.now());
    await a.log.close();
    // The same log compacted elsewhere gives the bytes a completed cleaning would have committed.
    fs.cpSync(path.join(dir, 't-0'), path.join(other, 't-0'), { recursive: true });
    const b = await openLog('async', other);
    await b.log.compact();
    const compacted = await readAll(b.log);
    await b.log.close();
    const name = '00000000000000000000';
    fs.copyFileSync(path.join(other, 't-0', `${name}.log`), path.join(dir, 't-0', `${name}.log.swap`));
    // A kill -9 between the rename to .swap and the rename over .log: old segment + old indexes remain.
    const again = await openLog('async', dir);
    expect(again.recovery.details.join('\n')).toMatch(/replaced the old one/);
    const seen = await readAll(again.log);
    expect(seen.filter((s) => s.offset < 9)).toEqual(compacted.filter((s) => s.offset < 9));
    expect(latestPerKey(seen)).toEqual(latestPerKey(compacted));
    expect(again.log.logStartOffset).toBe(0n);
    expect(fs.readdirSync(path.join(dir, 't-0')).filter((n) => n.endsWith('.swap'))).toEqual([]);
  });

  it('refuses to compact a topic whose cleanup.policy is delete, saying what to set', async () => {
    const { log } = await openLog('memory', undefined, { cleanupPolicy: 'delete' });
    await expect(log.compact()).rejects.toThrow(/cleanup\.policy=compact/);
  });
});
