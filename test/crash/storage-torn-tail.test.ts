/**
 * A segment whose tail was torn mid-batch and followed by garbage (what a crash during a write or a
 * damaged disk leaves): recovery must keep exactly the valid prefix, report the repair, and the log
 * must continue at the right offset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LOG_CONFIG, type LogConfig, PartitionLog } from '../../src/broker/storage/index.js';
import { VirtualClock } from '../../src/flow/clock.js';
import { decodeRecords } from '../../src/protocol/record-batch.js';
import { batch, rmTemp, tempDir } from '../broker/storage/helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmTemp(d);
});

const config: LogConfig = {
  ...DEFAULT_LOG_CONFIG,
  durability: 'sync',
  segmentBytes: 4000,
  indexIntervalBytes: 200,
};

async function writeLog(batches: number) {
  const root = tempDir('sluice-torn-');
  dirs.push(root);
  const dir = path.join(root, 't-0');
  const { log } = await PartitionLog.open({
    topic: 't',
    partition: 0,
    dir,
    config,
    clock: new VirtualClock(0),
  });
  const sizes: number[] = [];
  for (let i = 0; i < batches; i++) {
    const b = await batch(3, { tag: `b${i}`, valueBytes: 50 });
    sizes.push(b.length);
    await log.append(b);
  }
  const bases = log.segmentBaseOffsets();
  // Simulate a crash: no clean close (the next open must recover).
  await log.flush();
  return { dir, sizes, bases, lastSegment: path.join(dir, `${String(bases.at(-1)).padStart(20, '0')}.log`) };
}

/**
 * What a kill leaves in async mode when a roll created the next segment while the appends before it still
 * waited for their write: the new segment empty, the old one `cut(last, beforeLast)` bytes short (given
 * the sizes of its last two batches, of three records each) and without the indexes that named them.
 */
async function killMidRoll(cut: (last: number, beforeLast: number) => number) {
  const { dir, bases, sizes } = await writeLog(30);
  expect(bases.length).toBeGreaterThanOrEqual(2);
  const file = (base: number, ext: string) => path.join(dir, `${String(base).padStart(20, '0')}${ext}`);
  const [prevBase, lastBase] = bases.slice(-2).map(Number);
  fs.truncateSync(file(lastBase, '.log'), 0);
  for (const ext of ['.index', '.timeindex']) fs.writeFileSync(file(lastBase, ext), '');
  const lastOfPrev = lastBase / 3 - 1;
  const prevLog = file(prevBase, '.log');
  fs.truncateSync(prevLog, fs.statSync(prevLog).size - cut(sizes[lastOfPrev], sizes[lastOfPrev - 1]));
  for (const ext of ['.index', '.timeindex']) fs.rmSync(file(prevBase, ext));
  return { dir, lastBase, file };
}

async function reopen(dir: string) {
  return PartitionLog.open({ topic: 't', partition: 0, dir, config, clock: new VirtualClock(0) });
}

describe('recovery of a torn tail', () => {
  it('truncates a half-written batch plus garbage and keeps exactly the valid prefix', async () => {
    const { dir, lastSegment, sizes } = await writeLog(30);
    const full = fs.statSync(lastSegment).size;
    const lastSize = sizes.at(-1)!;
    const keep = full - lastSize + Math.floor(lastSize / 2); // cut the last batch in half
    fs.truncateSync(lastSegment, keep);
    fs.appendFileSync(
      lastSegment,
      Buffer.from('\x00\x01garbage-garbage-garbage\xff\xfe'.repeat(7), 'latin1'),
    );
    const garbageEnd = fs.statSync(lastSegment).size;

    const { log, recovery } = await reopen(dir);
    expect(recovery.cleanShutdown).toBe(false);
    expect(recovery.bytesTruncated).toBe(garbageEnd - (full - lastSize));
    expect(recovery.batchesDropped).toBeGreaterThanOrEqual(1);
    expect(recovery.details.join('\n')).toMatch(/torn|CRC|impossible/);
    expect(log.highWatermark).toBe(29n * 3n);
    expect(fs.statSync(lastSegment).size).toBe(full - lastSize);
    const all = await decodeAll(log);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 87 }, (_, i) => BigInt(i)));
    expect(all.at(-1)!.value!.toString()).toMatch(/^b28-2/);
    const next = await log.append(await batch(1, { tag: 'after' }));
    expect(next.baseOffset).toBe(87n);
    await log.close();

    // The repair is durable: a clean reopen finds the same log and nothing to fix.
    const again = await reopen(dir);
    expect(again.recovery).toMatchObject({ cleanShutdown: true, bytesTruncated: 0 });
    expect(again.log.highWatermark).toBe(88n);
    await again.log.close();
  });

  it('keeps every intact batch after a flipped byte in the middle, moves the damaged one aside, reuses no offset', async () => {
    const { dir, lastSegment } = await writeLog(30);
    const bytes = fs.readFileSync(lastSegment);
    const starts = batchStarts(bytes);
    expect(starts.length).toBeGreaterThan(3);
    const damagedFirst = bytes.readBigInt64BE(starts[2]);
    const damagedSize = starts[3] - starts[2];
    const damagedBytes = Buffer.from(bytes.subarray(starts[2], starts[3]));
    damagedBytes[70] ^= 0xff;
    bytes[starts[2] + 70] ^= 0xff;
    fs.writeFileSync(lastSegment, bytes);

    const { log, recovery } = await reopen(dir);
    // Nothing acknowledged after the damage is lost: the high watermark stays where it was.
    expect(log.highWatermark).toBe(90n);
    expect(recovery.bytesTruncated).toBe(0);
    expect(recovery.damaged).toHaveLength(1);
    const region = recovery.damaged[0];
    expect(region).toMatchObject({
      from: starts[2],
      to: starts[3],
      problem: 'CRC-32C mismatch',
      lostOffsets: { from: Number(damagedFirst), to: Number(damagedFirst) + 2 },
    });
    // The damaged bytes are kept for inspection, byte for byte.
    expect(fs.readFileSync(region.movedTo!)).toEqual(damagedBytes);
    expect(fs.statSync(lastSegment).size).toBe(bytes.length - damagedSize);
    expect(recovery.details.join('\n')).toMatch(/DAMAGED bytes .* moved to .*damaged-at-.*sluice log check/s);
    const offsets = (await decodeAll(log)).map((r) => r.offset);
    const lost = [damagedFirst, damagedFirst + 1n, damagedFirst + 2n];
    expect(offsets).toEqual(Array.from({ length: 90 }, (_, i) => BigInt(i)).filter((o) => !lost.includes(o)));
    // The damaged batch's offsets are never given to new records.
    expect((await log.append(await batch(1, { tag: 'after' }))).baseOffset).toBe(90n);
    await log.close();
    const again = await reopen(dir);
    expect(again.recovery).toMatchObject({ cleanShutdown: true, bytesTruncated: 0, damaged: [] });
    expect(again.log.highWatermark).toBe(91n);
    await again.log.close();
  });

  it('damage in a sealed segment keeps the later segments', async () => {
    const { dir, bases } = await writeLog(30);
    expect(bases.length).toBeGreaterThan(1);
    const first = path.join(dir, `${String(bases[0]).padStart(20, '0')}.log`);
    const bytes = fs.readFileSync(first);
    const starts = batchStarts(bytes);
    // Damage the last batch of the first segment, and lose its index so recovery scans it.
    bytes[starts.at(-1)! + 40] ^= 0x55;
    fs.writeFileSync(first, bytes);
    fs.rmSync(first.replace(/\.log$/, '.index'));
    const { log, recovery } = await reopen(dir);
    expect(recovery.segmentsDeleted).toEqual([]);
    expect(recovery.damaged).toHaveLength(1);
    expect(log.highWatermark).toBe(90n);
    expect((await decodeAll(log)).length).toBe(87);
    await log.close();
  });

  it('an empty last segment past unwritten appends is deleted: the log ends where the data does', async () => {
    // The old segment loses its last two batches (six records).
    const { dir, lastBase, file } = await killMidRoll((last, beforeLast) => last + beforeLast);
    const end = BigInt(lastBase - 6);

    const { log, recovery } = await reopen(dir);
    expect(recovery.segmentsDeleted).toEqual([lastBase]);
    expect(recovery.details.join('\n')).toContain('is empty and');
    expect(log.highWatermark).toBe(end);
    expect(fs.existsSync(file(lastBase, '.log'))).toBe(false);
    const all = await decodeAll(log);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: Number(end) }, (_, i) => BigInt(i)));
    const next = await log.append(await batch(1, { tag: 'after' }));
    expect(next.baseOffset).toBe(end);
    await log.close();
  });

  it('a torn batch at the end of the last segment holding data is truncated, not moved aside as damage', async () => {
    // The kill came in the middle of the old segment's last write: the old segment is where the log's
    // data ends, so its tail is torn, not damaged.
    let tornBytes = 0;
    const { dir, lastBase } = await killMidRoll((last) => {
      tornBytes = Math.floor(last / 2);
      return last - tornBytes;
    });
    const end = BigInt(lastBase - 3);

    const { log, recovery } = await reopen(dir);
    expect(recovery.damaged).toEqual([]);
    expect(fs.readdirSync(dir).filter((n) => n.includes('damaged'))).toEqual([]);
    expect(recovery.bytesTruncated).toBe(tornBytes);
    expect(recovery.segmentsDeleted).toEqual([lastBase]);
    expect(log.highWatermark).toBe(end);
    const all = await decodeAll(log);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: Number(end) }, (_, i) => BigInt(i)));
    expect((await log.append(await batch(1, { tag: 'after' }))).baseOffset).toBe(end);
    await log.close();
  });

  it('rebuilds the indexes of the recovered segment', async () => {
    const { dir, lastSegment, bases } = await writeLog(30);
    fs.rmSync(lastSegment.replace(/\.log$/, '.index'), { force: true });
    const { log, recovery } = await reopen(dir);
    expect(recovery.indexesRebuilt).toContain(Number(bases.at(-1)));
    expect(fs.statSync(lastSegment.replace(/\.log$/, '.index')).size).toBeGreaterThan(0);
    expect(log.highWatermark).toBe(90n);
    for (let o = 0n; o < 90n; o += 7n) {
      const r = log.read(o, 1);
      const first = await decodeRecords(r.records);
      expect(first.some((x) => x.offset === o)).toBe(true);
    }
    await log.close();
  });
});

/** Positions of the batches in a segment file's bytes. */
function batchStarts(bytes: Buffer): number[] {
  const starts: number[] = [];
  for (let pos = 0; pos < bytes.length; pos += 12 + bytes.readInt32BE(pos + 8)) starts.push(pos);
  return starts;
}

async function decodeAll(log: PartitionLog) {
  const out: Awaited<ReturnType<typeof decodeRecords>> = [];
  let at = log.logStartOffset;
  while (at < log.highWatermark) {
    const r = log.read(at, 1 << 20);
    // Nothing at `at` below the high watermark is a hole in the log: fail on it instead of asking forever.
    if (r.records.length === 0)
      throw new Error(`no record at offset ${at}, below the high watermark ${log.highWatermark}`);
    let pos = 0;
    while (pos < r.records.length) {
      const size = 12 + r.records.readInt32BE(pos + 8);
      const recs = await decodeRecords(r.records.subarray(pos, pos + size));
      out.push(...recs);
      at = recs.at(-1)!.offset + 1n;
      pos += size;
    }
  }
  return out;
}
