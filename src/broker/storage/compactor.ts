/**
 * Log compaction for `cleanup.policy=compact` topics, as Kafka's log cleaner does it: closed segments
 * are rewritten keeping only the newest record of each key (keys compared bytewise), every kept record
 * at its original offset, so the log start never moves and a reader positioned anywhere between the
 * log start and the high watermark simply finds the next surviving batch. Tombstones (null values)
 * survive `delete.retention.ms` past their timestamp, long enough for readers to see the delete, then
 * go too. Records without a key cannot be compacted (Kafka refuses them on such topics) and are dropped.
 *
 * This module decides what a segment becomes and swaps the result in (`writeCleanedSegment`) with the
 * crash-safe file protocol below; `PartitionLog.compact` chooses the segments and runs it.
 *
 * On disk a rewrite goes `<base>.log.cleaned` (written, fsynced) → renamed `<base>.log.swap` (the
 * commit point: the cleaned bytes are complete) → the old indexes removed → renamed over `<base>.log`.
 * A crash before the commit point leaves a `.cleaned` file that recovery deletes (the old segment is
 * intact); a crash after it leaves a `.swap` file that recovery finishes renaming. Either way the log
 * reads as before the cleaning or as after it, never a mix inside one segment.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  BATCH_HEADER_SIZE,
  buildRecordBatch,
  type DecodedRecord,
  decodeRecords,
  LOG_OVERHEAD,
  readBatchHeader,
} from '../../protocol/record-batch.js';
import { type ByteStore, FileStore, MemoryStore, type StorageStats, syncDirSync } from './byte-store.js';
import { type BatchFacts, Segment } from './segment.js';

const CLEANED_SUFFIX = '.log.cleaned';
const SWAP_SUFFIX = '.log.swap';
/** First offset the cleaner has not seen yet (as Kafka's cleaner-offset-checkpoint). */
export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

/** Newest offset of every key in the segments (keys as latin1 strings: one char per byte). */
type OffsetMap = Map<string, number>;

/** Batches of a segment in file order, each with its header read. */
function* segmentBatches(seg: Segment): Generator<{ buf: Buffer; position: number }> {
  let pos = 0;
  const end = seg.visibleEnd;
  while (pos + BATCH_HEADER_SIZE <= end) {
    const size = LOG_OVERHEAD + seg.store.readSync(pos + 8, 4).readInt32BE(0);
    if (pos + size > end) return;
    yield { buf: seg.store.readSync(pos, size), position: pos };
    pos += size;
  }
}

function isControl(buf: Buffer): boolean {
  return readBatchHeader(buf, 0).attributes.control;
}

const keyOf = (key: Buffer) => key.toString('latin1');

/** Builds the key → newest offset map over `segments` (oldest first). */
export async function buildOffsetMap(segments: Segment[]): Promise<OffsetMap> {
  const map: OffsetMap = new Map();
  for (const seg of segments) {
    for (const { buf } of segmentBatches(seg)) {
      if (isControl(buf)) continue;
      for (const r of await decodeRecords(buf)) {
        if (r.key !== null) map.set(keyOf(r.key), Number(r.offset));
      }
    }
  }
  return map;
}

interface CleanOptions {
  map: OffsetMap;
  now: number;
  deleteRetentionMs: number;
  /** Base offset of a batch to keep whole whatever its contents (the newest cleanable batch). */
  keepBatchAt?: number;
}

interface CleanedSegment {
  /** The new segment's batches, in order. */
  batches: Buffer[];
  /** Facts for the new segment's indexes (positions in the new file). */
  facts: BatchFacts[];
  recordsKept: number;
  recordsRemoved: number;
}

/**
 * What `seg` becomes: batches whose records all survive are copied byte for byte; the others are
 * rebuilt from their survivors, one batch per run of consecutive offsets (a batch's records carry
 * offset deltas 0..n-1, so a gap starts a new batch), keeping the original codec, timestamp type,
 * producer id/epoch and leader epoch, with a fresh CRC-32C.
 */
export async function cleanSegment(seg: Segment, opts: CleanOptions): Promise<CleanedSegment> {
  const out: CleanedSegment = { batches: [], facts: [], recordsKept: 0, recordsRemoved: 0 };
  let position = 0;
  const emit = (buf: Buffer) => {
    const h = readBatchHeader(buf, 0);
    const base = Number(h.baseOffset);
    out.batches.push(buf);
    out.facts.push({
      baseOffset: base,
      lastOffset: base + h.lastOffsetDelta,
      position,
      size: buf.length,
      maxTimestamp: Number(h.maxTimestamp),
    });
    position += buf.length;
  };
  const survives = (r: DecodedRecord) => {
    if (r.key === null) return false;
    if (opts.map.get(keyOf(r.key)) !== Number(r.offset)) return false;
    return r.value !== null || opts.now - Number(r.timestamp) <= opts.deleteRetentionMs;
  };
  for (const { buf } of segmentBatches(seg)) {
    const header = readBatchHeader(buf, 0);
    if (header.attributes.control || Number(header.baseOffset) === opts.keepBatchAt) {
      out.recordsKept += header.recordCount;
      emit(buf);
      continue;
    }
    const records = await decodeRecords(buf);
    const kept = records.filter(survives);
    out.recordsKept += kept.length;
    out.recordsRemoved += records.length - kept.length;
    if (kept.length === records.length) {
      emit(buf);
      continue;
    }
    for (const run of consecutiveRuns(kept)) {
      const delta = Number(run[0].offset - header.baseOffset);
      emit(
        await buildRecordBatch({
          baseOffset: run[0].offset,
          records: run.map((r) => ({
            key: r.key,
            value: r.value,
            headers: r.headers,
            timestamp: r.timestamp,
          })),
          compression: header.attributes.compression,
          timestampType: header.attributes.timestampType,
          transactional: header.attributes.transactional,
          producerId: header.producerId,
          producerEpoch: header.producerEpoch,
          baseSequence: header.baseSequence < 0 ? -1 : header.baseSequence + delta,
          partitionLeaderEpoch: header.partitionLeaderEpoch,
        }),
      );
    }
  }
  return out;
}

function consecutiveRuns(records: DecodedRecord[]): DecodedRecord[][] {
  const runs: DecodedRecord[][] = [];
  for (const r of records) {
    const run = runs[runs.length - 1];
    if (run && run[run.length - 1].offset + 1n === r.offset) run.push(r);
    else runs.push([r]);
  }
  return runs;
}

/**
 * Finishes or rolls back swaps a crash interrupted, before the segments are listed: a `.cleaned` file
 * never reached the commit point (deleted; the old segment stands), a `.swap` file did (its indexes
 * are stale, so they are removed, and it replaces the segment). Returns what it did, for the report.
 */
export function settleInterruptedSwaps(dir: string): string[] {
  const done: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith(CLEANED_SUFFIX)) {
      fs.rmSync(path.join(dir, name), { force: true });
      done.push(`${name}: compaction interrupted before its swap; discarded, the old segment is kept`);
    } else if (name.endsWith(SWAP_SUFFIX)) {
      const prefix = path.join(dir, name.slice(0, -SWAP_SUFFIX.length));
      fs.rmSync(`${prefix}.index`, { force: true });
      fs.rmSync(`${prefix}.timeindex`, { force: true });
      fs.renameSync(path.join(dir, name), `${prefix}.log`);
      done.push(`${name}: compaction interrupted mid-swap; the cleaned segment replaced the old one`);
    }
  }
  return done;
}

/** What the file protocol needs of the log whose segment it replaces. */
interface CleanedSwap {
  stats: StorageStats;
  indexIntervalBytes: number;
  /** False once the log closed or dropped the segment: the cleaned bytes are then thrown away. */
  stillLive(): boolean;
  /** Puts the replacement in the log's segment list; called synchronously right after the swap. */
  swapIn(replacement: Segment): void;
}

/**
 * Writes the cleaned bytes beside `seg` and swaps them in with the file protocol described at the top.
 * Returns the new segment, already swapped in, or undefined when the log changed meanwhile.
 */
export async function writeCleanedSegment(
  seg: Segment,
  batches: Buffer[],
  log: CleanedSwap,
): Promise<Segment | undefined> {
  let store: ByteStore;
  const prefix = seg.pathPrefix;
  if (prefix) {
    const cleanedPath = prefix + CLEANED_SUFFIX;
    fs.rmSync(cleanedPath, { force: true });
    const cleaned = FileStore.open(cleanedPath, log.stats);
    try {
      let at = 0;
      for (const b of batches) {
        await cleaned.write(b, at);
        at += b.length;
      }
      await cleaned.sync();
    } finally {
      await cleaned.close();
    }
    // Synchronous from here on: no read or append can see the segment half swapped.
    if (!log.stillLive()) {
      fs.rmSync(cleanedPath, { force: true });
      return undefined;
    }
    const dir = path.dirname(prefix);
    fs.renameSync(cleanedPath, prefix + SWAP_SUFFIX);
    syncDirSync(dir, log.stats);
    fs.rmSync(`${prefix}.index`, { force: true });
    fs.rmSync(`${prefix}.timeindex`, { force: true });
    fs.renameSync(prefix + SWAP_SUFFIX, `${prefix}.log`);
    syncDirSync(dir, log.stats);
    store = FileStore.open(`${prefix}.log`, log.stats);
  } else {
    store = new MemoryStore();
    let at = 0;
    for (const b of batches) {
      await store.write(b, at);
      at += b.length;
    }
    if (!log.stillLive()) return undefined;
  }
  const replacement = new Segment(seg.baseOffset, store, prefix, seg.createdAtMs, log.indexIntervalBytes);
  replacement.resetIndexes();
  log.swapIn(replacement);
  // The old descriptor may only close now that no read can reach it.
  await seg.store.close();
  return replacement;
}
