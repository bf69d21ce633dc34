/**
 * Recovery, the whole protocol of opening a partition directory (`recoverPartitionDir`): a clean close
 * leaves `.clean-shutdown`, so every index is trusted; otherwise the last segment is scanned. After an
 * unclean stop its tail may hold a torn batch (the process died mid-write) or garbage. We walk the
 * segment batch by batch (`scanSegment`), checking length, magic, CRC-32C and that offsets increase (a
 * compacted segment has gaps), keep the valid prefix, and truncate the rest; indexes are rebuilt from
 * the same walk. When intact batches follow the bad bytes it is damage, not a torn tail: damage.ts moves
 * the damaged bytes aside and keeps the rest before the walk. Interrupted compaction swaps are settled
 * first (compactor.ts owns that protocol).
 */
import fs from 'node:fs';
import path from 'node:path';
import { BATCH_HEADER_SIZE, computeBatchCrc, LOG_OVERHEAD } from '../../protocol/record-batch.js';
import { type StorageStats, syncDirSync } from './byte-store.js';
import { CLEANER_CHECKPOINT_FILE, settleInterruptedSwaps } from './compactor.js';
import { isCompacted, type LogConfig } from './config.js';
import { type DamagedRegion, describeSalvage, salvageSegment } from './damage.js';
import { type Segment, segmentFileName } from './segment.js';
import { TXN_INDEX_SUFFIX } from './txn-index.js';

/** Written by a clean close; its presence lets the next open trust every index. */
export const CLEAN_SHUTDOWN = '.clean-shutdown';
/** The log start offset DeleteRecords moved to (absent: the first segment's base). */
export const LOG_START_FILE = 'log-start-offset';

export interface PartitionRecovery {
  topic: string;
  partition: number;
  /** True when the previous run closed the log cleanly (nothing was scanned). */
  cleanShutdown: boolean;
  segments: number;
  segmentsScanned: number;
  bytesTruncated: number;
  batchesDropped: number;
  /** Segment files (by base offset) whose indexes were missing or corrupt and were rebuilt. */
  indexesRebuilt: number[];
  /** Segments deleted because an earlier segment was cut short. */
  segmentsDeleted: number[];
  /** Damage with intact batches after it, moved out of the segments (see damage.ts). */
  damaged: DamagedRegion[];
  details: string[];
  highWatermark: bigint;
  logStartOffset: bigint;
}

interface SegmentScan {
  /** Bytes of valid batches from the start of the segment. */
  validBytes: number;
  batches: number;
  /** Why the walk stopped before the end of the file, if it did. */
  stopReason?: string;
  /** Best-effort count of batch-shaped things after the valid prefix (at least 1 when bytes remain). */
  droppedBatches: number;
}

const CHUNK = 1024 * 1024;

/** Walks every batch of `seg` from position 0, feeding the valid ones to `seg.noteBatch`. */
function scanSegment(seg: Segment, maxBatchBytes: number): SegmentScan {
  const store = seg.store;
  const end = store.size;
  let pos = 0;
  let batches = 0;
  let expected = seg.baseOffset;
  let stopReason: string | undefined;
  let window: Buffer = Buffer.alloc(0);
  let windowStart = 0;
  const bytesAt = (at: number, len: number): Buffer | undefined => {
    if (at + len > end) return undefined;
    if (at < windowStart || at + len > windowStart + window.length) {
      window = store.readSync(at, Math.max(len, CHUNK));
      windowStart = at;
    }
    return window.subarray(at - windowStart, at - windowStart + len);
  };
  while (pos < end) {
    const head = bytesAt(pos, BATCH_HEADER_SIZE);
    if (!head) {
      stopReason = `torn batch header: ${end - pos} bytes left at position ${pos}`;
      break;
    }
    const size = LOG_OVERHEAD + head.readInt32BE(8);
    if (size < BATCH_HEADER_SIZE || size > maxBatchBytes) {
      stopReason = `impossible batch length ${size} at position ${pos}`;
      break;
    }
    if (head.readInt8(16) !== 2) {
      stopReason = `bad magic ${head.readInt8(16)} at position ${pos}`;
      break;
    }
    const batch = bytesAt(pos, size);
    if (!batch) {
      stopReason = `torn batch: ${size} bytes declared, ${end - pos} present at position ${pos}`;
      break;
    }
    if (batch.readUInt32BE(17) !== computeBatchCrc(batch, 0)) {
      stopReason = `CRC-32C mismatch at position ${pos}`;
      break;
    }
    const base = Number(batch.readBigInt64BE(0));
    const lastDelta = batch.readInt32BE(23);
    // Compaction leaves gaps between batches, never overlaps or a step backwards.
    if (base < expected || lastDelta < 0) {
      stopReason = `offset ${base} at position ${pos} does not follow ${expected - 1}`;
      break;
    }
    seg.noteBatch({
      baseOffset: base,
      lastOffset: base + lastDelta,
      position: pos,
      size,
      maxTimestamp: Number(batch.readBigInt64BE(35)),
    });
    expected = base + lastDelta + 1;
    batches++;
    pos += size;
  }
  return { validBytes: pos, batches, stopReason, droppedBatches: pos < end ? countShapes(seg, pos, end) : 0 };
}

/** Counts how many length-chained headers follow `from` (for the report; garbage counts as one). */
function countShapes(seg: Segment, from: number, end: number): number {
  let n = 0;
  let pos = from;
  while (pos < end && n < 1_000_000) {
    n++;
    const h = seg.store.readSync(pos, 17);
    if (h.length < 17 || h.readInt8(16) !== 2) break;
    const size = LOG_OVERHEAD + h.readInt32BE(8);
    if (size < BATCH_HEADER_SIZE) break;
    pos += size;
  }
  return Math.max(1, n);
}

/** The partition directory as the previous run left it, made consistent. */
interface RecoveredLog {
  /** In offset order; the last one active. */
  segments: Segment[];
  nextOffset: number;
  logStartOffset: number;
  /** Offsets below this were in segments the last compaction cleaned. */
  cleanedThrough: number;
  /** A segment file was created, so the directory entry still needs an fsync. */
  dirNeedsSync: boolean;
  report: PartitionRecovery;
}

interface RecoverOptions {
  topic: string;
  partition: number;
  dir: string;
  config: LogConfig;
  stats: StorageStats;
  /** Opens (or creates) the segment file starting at `baseOffset`. */
  newSegment(baseOffset: number): Segment;
}

/** A report for a log that had nothing to recover (a new or in-memory log). */
export function emptyRecovery(topic: string, partition: number): PartitionRecovery {
  return {
    topic,
    partition,
    cleanShutdown: true,
    segments: 0,
    segmentsScanned: 0,
    bytesTruncated: 0,
    batchesDropped: 0,
    indexesRebuilt: [],
    segmentsDeleted: [],
    damaged: [],
    details: [],
    highWatermark: 0n,
    logStartOffset: 0n,
  };
}

/**
 * Opens every segment of a partition directory: settles interrupted compaction swaps, trusts the
 * indexes of sealed segments (and of all after a clean shutdown), scans and truncates the rest, drops
 * segments that no longer follow a truncated one, and restores the log start and cleaner checkpoints.
 */
export async function recoverPartitionDir(opts: RecoverOptions): Promise<RecoveredLog> {
  const { dir } = opts;
  const report = emptyRecovery(opts.topic, opts.partition);
  fs.mkdirSync(dir, { recursive: true });
  const cleanMarker = path.join(dir, CLEAN_SHUTDOWN);
  const clean = fs.existsSync(cleanMarker);
  report.details.push(...settleInterruptedSwaps(dir));
  const bases = segmentBasesDroppingTemporaries(dir);
  report.cleanShutdown = clean || bases.length === 0;
  const segments = await openSegments(opts, bases, clean, report);
  let dirNeedsSync = false;
  if (segments.length === 0) {
    segments.push(opts.newSegment(0));
    dirNeedsSync = true;
  }
  await dropEmptyTailAfterGap(segments, opts.config, report);
  const first = segments[0];
  const last = segments[segments.length - 1];
  last.sealed = false;
  reportOffsetGaps(segments, opts.config, report);
  // Indexes of sealed segments reload from their files when a read needs them.
  for (const s of segments) s.release();
  const nextOffset = last.nextOffset;
  const { logStartOffset, cleanedThrough } = readCheckpoints(dir, first.baseOffset, nextOffset);
  report.segments = segments.length;
  report.highWatermark = BigInt(nextOffset);
  report.logStartOffset = BigInt(logStartOffset);
  if (clean) fs.rmSync(cleanMarker, { force: true });
  if (opts.config.durability !== 'memory') syncDirSync(dir, opts.stats);
  return { segments, nextOffset, logStartOffset, cleanedThrough, dirNeedsSync, report };
}

/** The base offsets of the directory's segments, oldest first; leftover `.tmp` files are deleted. */
function segmentBasesDroppingTemporaries(dir: string): number[] {
  const names = fs.readdirSync(dir);
  const bases = names
    .filter((n) => /^\d{20}\.log$/.test(n))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
  for (const n of names) if (n.endsWith('.tmp')) fs.rmSync(path.join(dir, n), { force: true });
  return bases;
}

/**
 * Opens the segments in order. When one before the last had to be cut short, the segments after it no
 * longer follow it: they are deleted and the log ends with the cut one.
 */
async function openSegments(
  opts: RecoverOptions,
  bases: number[],
  clean: boolean,
  report: PartitionRecovery,
): Promise<Segment[]> {
  const maxBatch = Math.max(opts.config.maxMessageBytes, 64 * 1024 * 1024);
  const segments: Segment[] = [];
  // A roll creates the next segment's file before the old one's last writes are done (the new file's
  // writes wait for them), so a kill can tear the last segment holding data even with empty ones after it.
  // On a compacted topic the log end must not move back (see dropEmptyTailAfterGap): only the last
  // segment counts as the tail, and bad bytes before it are moved aside, a gap like the cleaner's.
  const tail = isCompacted(opts.config) ? bases.length - 1 : lastWithData(opts.dir, bases);
  for (let i = 0; i < bases.length; i++) {
    const isTail = i >= tail;
    let seg = opts.newSegment(bases[i]);
    // Sealed segments were fsynced with their indexes at roll time, and a clean shutdown persisted
    // everything: trust indexes that check out. The tail after a crash is always scanned.
    const loaded = (clean || !isTail) && seg.loadIndexes() && seg.restoreTailFromIndex();
    let truncated = false;
    if (!loaded) {
      seg.resetIndexes();
      ({ seg, truncated } = await scanAndTruncate(opts, seg, isTail, maxBatch, report));
    }
    if (i > 0) segments[i - 1].sealed = true;
    segments.push(seg);
    if (truncated && i < bases.length - 1) {
      deleteSegments(opts.dir, bases.slice(i + 1), report);
      break;
    }
  }
  return segments;
}

/** The index in `bases` of the last segment whose file holds bytes (0 when none does). */
function lastWithData(dir: string, bases: number[]): number {
  for (let i = bases.length - 1; i > 0; i--) {
    if (fs.statSync(path.join(dir, `${segmentFileName(bases[i])}.log`)).size > 0) return i;
  }
  return 0;
}

/**
 * Scans a segment whose indexes cannot be trusted, salvages what follows damage in its middle, truncates
 * a torn tail and rebuilds its indexes. The segment may be reopened, so the one to keep is returned.
 */
async function scanAndTruncate(
  opts: RecoverOptions,
  segment: Segment,
  isTail: boolean,
  maxBatch: number,
  report: PartitionRecovery,
): Promise<{ seg: Segment; truncated: boolean }> {
  let seg = segment;
  let scan = scanSegment(seg, maxBatch);
  if (scan.validBytes < seg.store.size) {
    // Damage in the middle keeps what follows it; only a torn tail is truncated below.
    const salvage = salvageSegment(`${seg.pathPrefix}.log`, seg.baseOffset, maxBatch, !isTail);
    if (salvage) {
      report.damaged.push(...salvage.regions);
      report.details.push(...describeSalvage(salvage));
      await seg.store.close();
      seg = opts.newSegment(seg.baseOffset);
      seg.resetIndexes();
      scan = scanSegment(seg, maxBatch);
    }
  }
  report.segmentsScanned++;
  const cut = seg.store.size - scan.validBytes;
  if (cut > 0) {
    report.bytesTruncated += cut;
    report.batchesDropped += scan.droppedBatches;
    report.details.push(
      `${segmentFileName(seg.baseOffset)}.log: ${scan.stopReason}; kept ${scan.batches} batches ` +
        `(${scan.validBytes} bytes), truncated ${cut} bytes`,
    );
    await seg.store.truncate(scan.validBytes);
    seg.size = scan.validBytes;
    seg.truncateIndexesTo(scan.validBytes);
  }
  seg.visibleEnd = seg.size;
  report.indexesRebuilt.push(seg.baseOffset);
  await seg.persistIndexes(true);
  return { seg, truncated: cut > 0 };
}

/** Deletes the files of the segments starting at `bases`. */
function deleteSegments(dir: string, bases: number[], report: PartitionRecovery): void {
  for (const b of bases) {
    const prefix = path.join(dir, segmentFileName(b));
    for (const ext of ['.log', '.index', '.timeindex', TXN_INDEX_SUFFIX])
      fs.rmSync(prefix + ext, { force: true });
    report.segmentsDeleted.push(b);
  }
}

/**
 * Deletes empty segments at the end of the log that do not follow the segment before them. In async mode a
 * roll creates the next segment's file while the appends before it may still wait for their write; a kill
 * then leaves the old segment short of the new one's base, with nothing after. Those appends were never
 * acknowledged (async acknowledges once the write reached the OS), so the log ends where the old segment's
 * data does, contiguous, instead of at an empty segment's base past a hole.
 */
async function dropEmptyTailAfterGap(
  segments: Segment[],
  config: LogConfig,
  report: PartitionRecovery,
): Promise<void> {
  // On a compacted topic the segment before may end early because the cleaner removed its last records
  // (a tombstone past its retention): the log end must not move back over offsets already given out.
  if (isCompacted(config)) return;
  while (segments.length > 1) {
    const last = segments[segments.length - 1];
    const prev = segments[segments.length - 2];
    if (last.size !== 0 || last.baseOffset === prev.nextOffset) return;
    report.details.push(
      `${segmentFileName(last.baseOffset)}.log is empty and ${segmentFileName(prev.baseOffset)}.log ends at ` +
        `offset ${prev.nextOffset - 1}: the empty segment is deleted and the log ends there`,
    );
    await last.removeFiles();
    report.segmentsDeleted.push(last.baseOffset);
    segments.pop();
  }
}

/** Notes offsets missing between consecutive segments (possible after a power loss in async mode). */
function reportOffsetGaps(segments: Segment[], config: LogConfig, report: PartitionRecovery): void {
  // A compacted segment ends where its newest survivor does; gaps before the next one are normal.
  if (isCompacted(config)) return;
  for (let i = 1; i < segments.length; i++) {
    const prev = segments[i - 1];
    if (prev.nextOffset !== segments[i].baseOffset) {
      // Fetches skip the gap like a compacted topic's.
      report.details.push(
        `offsets ${prev.nextOffset}..${segments[i].baseOffset - 1} are missing between segments ` +
          `${segmentFileName(prev.baseOffset)} and ${segmentFileName(segments[i].baseOffset)}`,
      );
    }
  }
}

/** The log start offset DeleteRecords saved and the offset the cleaner compacted through, within the log. */
function readCheckpoints(
  dir: string,
  firstBase: number,
  nextOffset: number,
): { logStartOffset: number; cleanedThrough: number } {
  let logStartOffset = firstBase;
  let cleanedThrough = 0;
  try {
    const saved = Number(fs.readFileSync(path.join(dir, LOG_START_FILE), 'utf8').trim());
    if (Number.isSafeInteger(saved) && saved > logStartOffset && saved <= nextOffset) logStartOffset = saved;
  } catch {
    // No DeleteRecords ever ran.
  }
  try {
    const saved = Number(fs.readFileSync(path.join(dir, CLEANER_CHECKPOINT_FILE), 'utf8').trim());
    if (Number.isSafeInteger(saved) && saved >= 0) cleanedThrough = Math.min(saved, nextOffset);
  } catch {
    // Never compacted.
  }
  return { logStartOffset, cleanedThrough };
}
