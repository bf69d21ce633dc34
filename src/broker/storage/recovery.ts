/**
 * Recovery: after an unclean stop the tail of the last segment may hold a torn batch (the process died
 * mid-write) or garbage. We walk the segment batch by batch, checking length, magic, CRC-32C and that
 * offsets increase (a compacted segment has gaps), keep the valid prefix, and truncate the rest. Indexes are rebuilt from the same walk.
 */
import { BATCH_HEADER_SIZE, computeBatchCrc, LOG_OVERHEAD } from '../../protocol/record-batch.js';
import type { Segment } from './segment.js';

export interface SegmentScan {
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
export function scanSegment(seg: Segment, maxBatchBytes: number): SegmentScan {
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
