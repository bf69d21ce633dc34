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

  it('cuts at a corrupted batch in the middle of the last segment, dropping what follows', async () => {
    const { dir, lastSegment } = await writeLog(30);
    const bytes = fs.readFileSync(lastSegment);
    // Walk to the third batch of the last segment and flip a byte inside its records.
    let pos = 0;
    const starts: number[] = [];
    while (pos < bytes.length) {
      starts.push(pos);
      pos += 12 + bytes.readInt32BE(pos + 8);
    }
    expect(starts.length).toBeGreaterThan(3);
    const firstOffset = bytes.readBigInt64BE(starts[2]);
    bytes[starts[2] + 70] ^= 0xff;
    fs.writeFileSync(lastSegment, bytes);

    const { log, recovery } = await reopen(dir);
    expect(recovery.details.join('\n')).toMatch(/CRC/);
    expect(recovery.bytesTruncated).toBe(bytes.length - starts[2]);
    expect(recovery.batchesDropped).toBe(starts.length - 2);
    expect(log.highWatermark).toBe(firstOffset);
    expect((await decodeAll(log)).length).toBe(Number(firstOffset));
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

async function decodeAll(log: PartitionLog) {
  const out: Awaited<ReturnType<typeof decodeRecords>> = [];
  let at = log.logStartOffset;
  while (at < log.highWatermark) {
    const r = log.read(at, 1 << 20);
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
