/**
 * Damage in a segment file, told apart from a torn tail.
 *
 * A torn tail is the last write cut short by a crash: nothing intact follows it, it was never
 * acknowledged under `sync`, and recovery truncates it (recovery.ts). Damage in the middle of the file
 * (a flipped byte on disk, a bad sector) is different: intact, acknowledged batches follow it. Those are
 * kept at their offsets; only the damaged bytes leave the segment, moved into a `.damaged-at-<position>`
 * file beside it for inspection, and their offsets stay unused (a gap, as in a compacted topic), so no
 * offset a consumer may have seen is ever given to another record.
 *
 * The same walk backs `sluice log check`, which verifies every batch without starting the broker.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BATCH_HEADER_SIZE, computeBatchCrc, LOG_OVERHEAD } from '../../protocol/record-batch.js';
import { syncDirSync } from './byte-store.js';

/** Reads `length` bytes at `position`; fewer at the end of the file. */
export type ReadAt = (position: number, length: number) => Buffer;

export interface IntactBatch {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
}

/**
 * The batch at `pos` if it is whole and intact (length, magic, CRC-32C) and does not step back from
 * `expected`; otherwise why not.
 */
export function checkBatchAt(
  read: ReadAt,
  pos: number,
  end: number,
  expected: number,
  maxBatchBytes: number,
): IntactBatch | { problem: string } {
  if (end - pos < BATCH_HEADER_SIZE) return { problem: `torn batch header: ${end - pos} bytes left` };
  const head = read(pos, BATCH_HEADER_SIZE);
  const size = LOG_OVERHEAD + head.readInt32BE(8);
  if (size < BATCH_HEADER_SIZE || size > maxBatchBytes) return { problem: `impossible batch length ${size}` };
  if (head.readInt8(16) !== 2) return { problem: `bad magic ${head.readInt8(16)}` };
  if (size > end - pos) return { problem: `torn batch: ${size} bytes declared, ${end - pos} present` };
  const batch = read(pos, size);
  if (batch.readUInt32BE(17) !== computeBatchCrc(batch, 0)) return { problem: 'CRC-32C mismatch' };
  const baseOffset = Number(batch.readBigInt64BE(0));
  const lastDelta = batch.readInt32BE(23);
  if (baseOffset < expected || lastDelta < 0) {
    return { problem: `offset ${baseOffset} does not follow ${expected - 1}` };
  }
  return { position: pos, size, baseOffset, lastOffset: baseOffset + lastDelta };
}

/** The first intact batch starting after `from` (a byte-by-byte search), or undefined: a torn tail. */
export function nextIntactBatch(
  read: ReadAt,
  from: number,
  end: number,
  expected: number,
  maxBatchBytes: number,
): IntactBatch | undefined {
  const WINDOW = 1024 * 1024;
  for (let start = from + 1; start + BATCH_HEADER_SIZE <= end; start += WINDOW) {
    const window = read(start, WINDOW + BATCH_HEADER_SIZE);
    const last = Math.min(WINDOW, window.length - BATCH_HEADER_SIZE);
    for (let i = 0; i <= last; i++) {
      // Cheap filters first (magic, a length that fits), the CRC only for candidates.
      if (window[i + 16] !== 2) continue;
      const size = LOG_OVERHEAD + window.readInt32BE(i + 8);
      if (size < BATCH_HEADER_SIZE || size > maxBatchBytes || start + i + size > end) continue;
      const found = checkBatchAt(read, start + i, end, expected, maxBatchBytes);
      if ('size' in found) return found;
    }
  }
  return undefined;
}

export interface DamagedRegion {
  /** Byte range of the segment file that held no intact batch. */
  from: number;
  to: number;
  problem: string;
  /** Offsets that were in the region, as far as the intact neighbours tell (never reused). */
  lostOffsets: { from: number; to: number };
  /** Where the bytes were moved for inspection. */
  movedTo?: string;
}

export interface SegmentWalk {
  batches: number;
  /** Intact batches found after the first damaged region. */
  batchesAfterDamage: number;
  /** Offset after the last intact batch. */
  nextOffset: number;
  /** Damage followed by intact batches (or, in a sealed segment, damage at its end). */
  damaged: DamagedRegion[];
  /** Where a torn tail starts (nothing intact after it), if there is one. */
  tornTailAt?: number;
  tornTailProblem?: string;
}

/** Walks a whole segment file, resynchronising after damage on the next intact batch. */
export function walkSegment(
  read: ReadAt,
  end: number,
  baseOffset: number,
  maxBatchBytes: number,
): SegmentWalk {
  const walk: SegmentWalk = { batches: 0, batchesAfterDamage: 0, nextOffset: baseOffset, damaged: [] };
  let pos = 0;
  while (pos < end) {
    const batch = checkBatchAt(read, pos, end, walk.nextOffset, maxBatchBytes);
    if ('size' in batch) {
      walk.batches++;
      if (walk.damaged.length > 0) walk.batchesAfterDamage++;
      walk.nextOffset = batch.lastOffset + 1;
      pos += batch.size;
      continue;
    }
    const next = nextIntactBatch(read, pos, end, walk.nextOffset, maxBatchBytes);
    if (!next) {
      walk.tornTailAt = pos;
      walk.tornTailProblem = batch.problem;
      break;
    }
    walk.damaged.push({
      from: pos,
      to: next.position,
      problem: batch.problem,
      lostOffsets: { from: walk.nextOffset, to: next.baseOffset - 1 },
    });
    pos = next.position;
  }
  return walk;
}

function fileReader(fd: number): ReadAt {
  return (position, length) => {
    const buf = Buffer.allocUnsafe(length);
    const n = fs.readSync(fd, buf, 0, length, position);
    return n === length ? buf : buf.subarray(0, n);
  };
}

/** Suffix of the file a damaged region is moved to: `<segment>.log.damaged-at-<position>`. */
export const DAMAGED_SUFFIX = '.damaged-at-';

export interface Salvage {
  segmentFile: string;
  regions: DamagedRegion[];
  /** Intact batches kept after the first damaged region. */
  batchesKeptAfterDamage: number;
}

/**
 * Before recovery scans a segment: when intact batches follow damage, moves each damaged region into
 * its own file and rewrites the segment without them (through a `.tmp` file and a rename, so a crash
 * half-way leaves the original). In a sealed segment with data after it (`sealed`), damage at the end is
 * moved aside as well: it cannot be a torn write, and cutting it would orphan every later segment.
 * Returns undefined when there is nothing to salvage (no damage, or only a torn tail, which recovery
 * truncates).
 */
export function salvageSegment(
  segmentFile: string,
  baseOffset: number,
  maxBatchBytes: number,
  sealed: boolean,
): Salvage | undefined {
  const fd = fs.openSync(segmentFile, 'r');
  try {
    const end = fs.fstatSync(fd).size;
    const read = fileReader(fd);
    const walk = walkSegment(read, end, baseOffset, maxBatchBytes);
    const regions = [...walk.damaged];
    if (sealed && walk.tornTailAt !== undefined) {
      regions.push({
        from: walk.tornTailAt,
        to: end,
        problem: walk.tornTailProblem ?? 'damaged',
        lostOffsets: { from: walk.nextOffset, to: walk.nextOffset - 1 },
      });
    }
    if (regions.length === 0) return undefined;
    for (const r of regions) {
      r.movedTo = `${segmentFile}${DAMAGED_SUFFIX}${r.from}`;
      fs.writeFileSync(r.movedTo, read(r.from, r.to - r.from), { flush: true });
    }
    rewriteWithout(read, end, regions, segmentFile);
    return { segmentFile, regions, batchesKeptAfterDamage: walk.batchesAfterDamage };
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes the segment without `regions` beside it, fsyncs, and renames it over the original. */
function rewriteWithout(read: ReadAt, end: number, regions: DamagedRegion[], segmentFile: string): void {
  const CHUNK = 1024 * 1024;
  const kept = [...regions.map((r) => r.from), end].map((to, i) => ({
    from: i === 0 ? 0 : regions[i - 1].to,
    to,
  }));
  const tmp = `${segmentFile}.salvage.tmp`;
  const out = fs.openSync(tmp, 'w');
  try {
    let at = 0;
    for (const range of kept) {
      for (let p = range.from; p < range.to; p += CHUNK) {
        const chunk = read(p, Math.min(CHUNK, range.to - p));
        fs.writeSync(out, chunk, 0, chunk.length, at);
        at += chunk.length;
      }
    }
    fs.fdatasyncSync(out);
  } finally {
    fs.closeSync(out);
  }
  fs.renameSync(tmp, segmentFile);
  syncDirSync(path.dirname(segmentFile));
}

/** What recovery says about a salvage: what was damaged, where the bytes went, what to do. */
export function describeSalvage(salvage: Salvage): string[] {
  const lines = salvage.regions.map(
    (r) =>
      `${path.basename(salvage.segmentFile)}: DAMAGED bytes ${r.from}..${r.to - 1} (${r.problem}) moved to ` +
      `${path.basename(r.movedTo ?? '?')}; ` +
      (r.lostOffsets.to >= r.lostOffsets.from
        ? `offsets ${r.lostOffsets.from}..${r.lostOffsets.to} are lost and will not be reused`
        : 'the offsets after it are kept'),
  );
  lines.push(
    `${path.basename(salvage.segmentFile)}: kept ${salvage.batchesKeptAfterDamage} intact batch(es) after the damage at ` +
      'their offsets. This is disk damage, not a crash: check the disk, run `sluice log check <data-dir>`, ' +
      'and restore the lost offsets from a backup or the producers if they matter',
  );
  return lines;
}
