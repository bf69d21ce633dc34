/**
 * One segment of a partition log: its bytes (file or memory) plus two sparse indexes kept in memory
 * and persisted beside the file when it is sealed or the log closes:
 *   .index      8-byte entries: relative offset int32, position int32 (one per index.interval.bytes)
 *   .timeindex 12-byte entries: timestamp int64, relative offset int32. The timestamp is the largest
 *               maxTimestamp of all batches *before* the entry's batch, so "entry.ts < target" proves
 *               that the first batch reaching target starts at or after that entry.
 * Both indexes hold the same batches (entry i of one describes the batch of entry i of the other), so
 * the time index finds a position through the offset index. A sparse index costs 8-20 bytes per 4 KiB
 * of log, which is what keeps indexes, and not segments, in the heap. A segment may also have a
 * `.txnindex` (the aborted transactions whose marker it holds, txn-index.ts), removed with it.
 */
import fs from 'node:fs';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD } from '../../protocol/record-batch.js';
import type { ByteStore } from './byte-store.js';
import { TXN_INDEX_SUFFIX } from './txn-index.js';

const OFFSET_INDEX_ENTRY = 8;
const TIME_INDEX_ENTRY = 12;

export function segmentFileName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

/** A growable column of numbers backed by a typed array. */
class Column {
  data: Int32Array | Float64Array;
  length = 0;
  constructor(private readonly make: (n: number) => Int32Array | Float64Array) {
    this.data = make(16);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  truncate(n: number): void {
    this.length = Math.min(this.length, n);
  }
  /** Drops everything and gives the memory back. */
  clear(): void {
    this.data = this.make(16);
    this.length = 0;
  }
}

const int32 = (n: number) => new Int32Array(n);
const float64 = (n: number) => new Float64Array(n);

export interface BatchFacts {
  baseOffset: number;
  lastOffset: number;
  position: number;
  size: number;
  maxTimestamp: number;
}

export class Segment {
  /** Bytes reserved for writes (data may still be in flight). */
  size: number;
  /** Bytes readers may see: the end of the last batch below the high watermark. */
  visibleEnd: number;
  /** Offset after the last batch placed in this segment. */
  nextOffset: number;
  /** Largest batch maxTimestamp in the segment; -1 when none. */
  maxTimestamp = -1;
  /** Whether writes since the last fsync exist. */
  dirty = false;
  sealed = false;
  private bytesSinceIndex = Number.POSITIVE_INFINITY;
  /** Whether the indexes are in memory; sealed segments drop them and reload from their files on use. */
  resident = true;
  /** Whether the index files on disk match the in-memory indexes. */
  persisted = false;
  private readonly relOffsets = new Column(int32);
  private readonly positions = new Column(int32);
  private readonly timestamps = new Column(float64);

  constructor(
    readonly baseOffset: number,
    readonly store: ByteStore,
    /** Path prefix of the files (no extension); undefined in memory. */
    readonly pathPrefix: string | undefined,
    readonly createdAtMs: number,
    private readonly indexIntervalBytes: number,
  ) {
    this.size = store.size;
    this.visibleEnd = store.size;
    this.nextOffset = baseOffset;
  }

  get indexEntries(): number {
    this.ensureResident();
    return this.relOffsets.length;
  }

  /** Records a batch placed at `position` (append or recovery scan) in the indexes and counters. */
  noteBatch(b: BatchFacts): void {
    this.persisted = false;
    if (this.bytesSinceIndex >= this.indexIntervalBytes) {
      this.relOffsets.push(b.baseOffset - this.baseOffset);
      this.positions.push(b.position);
      this.timestamps.push(this.maxTimestamp);
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += b.size;
    if (b.maxTimestamp > this.maxTimestamp) this.maxTimestamp = b.maxTimestamp;
    this.nextOffset = b.lastOffset + 1;
    if (b.position + b.size > this.size) this.size = b.position + b.size;
  }

  /** Position of the last indexed batch whose base offset is <= offset (0 when none). */
  lookupPosition(offset: number): number {
    this.ensureResident();
    const rel = offset - this.baseOffset;
    const n = this.relOffsets.length;
    let lo = 0;
    let hi = n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.relOffsets.data[mid] <= rel) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? 0 : this.positions.data[found];
  }

  /** Position from which to scan for the first batch with maxTimestamp >= ts. */
  lookupTimePosition(ts: number): number {
    this.ensureResident();
    let lo = 0;
    let hi = this.timestamps.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.timestamps.data[mid] < ts) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? 0 : this.positions.data[found];
  }

  /**
   * Finds the batch containing `offset` by walking headers from the index position, within the
   * visible bytes. Returns its position and size, or undefined when the offset is past the segment.
   */
  findBatch(offset: number): { position: number; size: number } | undefined {
    let pos = this.lookupPosition(offset);
    while (pos + BATCH_HEADER_SIZE <= this.visibleEnd) {
      const h = this.store.readSync(pos, 27);
      const size = LOG_OVERHEAD + h.readInt32BE(8);
      const last = Number(h.readBigInt64BE(0)) + h.readInt32BE(23);
      if (last >= offset) return { position: pos, size };
      pos += size;
    }
    return undefined;
  }

  /** First batch (base offset) with maxTimestamp >= ts, scanning from the time index. */
  findTimestamp(ts: number): number | undefined {
    let pos = this.lookupTimePosition(ts);
    while (pos + BATCH_HEADER_SIZE <= this.visibleEnd) {
      const h = this.store.readSync(pos, 43);
      const maxTs = Number(h.readBigInt64BE(35));
      if (maxTs >= ts) return Number(h.readBigInt64BE(0));
      pos += LOG_OVERHEAD + h.readInt32BE(8);
    }
    return undefined;
  }

  /** Drops index entries at or past `position` (recovery truncation). */
  truncateIndexesTo(position: number): void {
    let n = this.positions.length;
    while (n > 0 && this.positions.data[n - 1] >= position) n--;
    this.relOffsets.truncate(n);
    this.positions.truncate(n);
    this.timestamps.truncate(n);
  }

  offsetIndexBytes(): Buffer {
    const buf = Buffer.alloc(this.relOffsets.length * OFFSET_INDEX_ENTRY);
    for (let i = 0; i < this.relOffsets.length; i++) {
      buf.writeInt32BE(this.relOffsets.data[i], i * OFFSET_INDEX_ENTRY);
      buf.writeInt32BE(this.positions.data[i], i * OFFSET_INDEX_ENTRY + 4);
    }
    return buf;
  }

  timeIndexBytes(): Buffer {
    const buf = Buffer.alloc(this.timestamps.length * TIME_INDEX_ENTRY);
    for (let i = 0; i < this.timestamps.length; i++) {
      buf.writeBigInt64BE(BigInt(this.timestamps.data[i]), i * TIME_INDEX_ENTRY);
      buf.writeInt32BE(this.relOffsets.data[i], i * TIME_INDEX_ENTRY + 8);
    }
    return buf;
  }

  /** Writes both index files (and fsyncs them when asked). No-op in memory. */
  async persistIndexes(fsync: boolean): Promise<void> {
    if (!this.pathPrefix || (this.persisted && !this.resident)) return;
    await writeWhole(`${this.pathPrefix}.index`, this.offsetIndexBytes(), fsync);
    await writeWhole(`${this.pathPrefix}.timeindex`, this.timeIndexBytes(), fsync);
    this.persisted = true;
  }

  /**
   * Frees the in-memory indexes of a sealed segment whose index files are written. They come back
   * from the files on the next lookup. This bounds index memory for logs far larger than the heap.
   */
  release(): void {
    if (!this.pathPrefix || !this.sealed || !this.persisted || !this.resident) return;
    this.relOffsets.clear();
    this.positions.clear();
    this.timestamps.clear();
    this.resident = false;
  }

  private ensureResident(): void {
    if (this.resident) return;
    this.resident = true;
    if (this.readIndexFiles()) return;
    // The files went missing or bad since they were checked: rebuild from the segment's headers.
    this.relOffsets.clear();
    this.positions.clear();
    this.timestamps.clear();
    const maxTs = this.maxTimestamp;
    const next = this.nextOffset;
    this.maxTimestamp = -1;
    this.bytesSinceIndex = Number.POSITIVE_INFINITY;
    let pos = 0;
    while (pos + BATCH_HEADER_SIZE <= this.size) {
      const h = this.store.readSync(pos, BATCH_HEADER_SIZE);
      const base = Number(h.readBigInt64BE(0));
      const size = LOG_OVERHEAD + h.readInt32BE(8);
      this.noteBatch({
        baseOffset: base,
        lastOffset: base + h.readInt32BE(23),
        position: pos,
        size,
        maxTimestamp: Number(h.readBigInt64BE(35)),
      });
      pos += size;
    }
    this.maxTimestamp = maxTs;
    this.nextOffset = next;
    this.persisted = false;
  }

  /** Loads both index files as they are (checked when the log opened). */
  private readIndexFiles(): boolean {
    const files = this.indexFileBytes();
    if (!files) return false;
    this.adoptIndexEntries(files.off, files.time, files.entries);
    return true;
  }

  /** Both index files, or undefined when one is missing or their sizes do not hold whole, equal entries. */
  private indexFileBytes(): { off: Buffer; time: Buffer; entries: number } | undefined {
    let off: Buffer;
    let time: Buffer;
    try {
      off = fs.readFileSync(`${this.pathPrefix}.index`);
      time = fs.readFileSync(`${this.pathPrefix}.timeindex`);
    } catch {
      return undefined;
    }
    const entries = off.length / OFFSET_INDEX_ENTRY;
    if (!Number.isInteger(entries) || time.length !== entries * TIME_INDEX_ENTRY) return undefined;
    return { off, time, entries };
  }

  private adoptIndexEntries(off: Buffer, time: Buffer, n: number): void {
    for (let i = 0; i < n; i++) {
      this.relOffsets.push(off.readInt32BE(i * OFFSET_INDEX_ENTRY));
      this.positions.push(off.readInt32BE(i * OFFSET_INDEX_ENTRY + 4));
      this.timestamps.push(Number(time.readBigInt64BE(i * TIME_INDEX_ENTRY)));
    }
  }

  /**
   * Loads persisted indexes if they are consistent with the data file; returns false when missing or
   * corrupt (the caller then rebuilds them by scanning).
   */
  loadIndexes(): boolean {
    if (!this.pathPrefix) return false;
    const files = this.indexFileBytes();
    if (!files) return false;
    const { off, time, entries: n } = files;
    if (n === 0) return this.store.size === 0;
    let prevRel = -1;
    let prevPos = -1;
    let prevTs = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const rel = off.readInt32BE(i * OFFSET_INDEX_ENTRY);
      const pos = off.readInt32BE(i * OFFSET_INDEX_ENTRY + 4);
      const ts = Number(time.readBigInt64BE(i * TIME_INDEX_ENTRY));
      if (time.readInt32BE(i * TIME_INDEX_ENTRY + 8) !== rel) return false;
      if (rel <= prevRel || pos <= prevPos || ts < prevTs || pos + BATCH_HEADER_SIZE > this.store.size)
        return false;
      // A compacted segment's first batch may start after the segment's base offset.
      if (i === 0 && (rel < 0 || pos !== 0)) return false;
      prevRel = rel;
      prevPos = pos;
      prevTs = ts;
    }
    // The last entry must point at a batch that really has that offset.
    const h = this.store.readSync(prevPos, BATCH_HEADER_SIZE);
    if (h.length < BATCH_HEADER_SIZE || Number(h.readBigInt64BE(0)) !== this.baseOffset + prevRel)
      return false;
    this.adoptIndexEntries(off, time, n);
    this.persisted = true;
    return true;
  }

  /**
   * After loading indexes, walks headers from the last indexed batch to the end of the file to learn
   * nextOffset, maxTimestamp and how far the index interval has run. Returns false when the headers do
   * not end exactly at the end of the file.
   */
  restoreTailFromIndex(): boolean {
    const n = this.positions.length;
    let pos = n > 0 ? this.positions.data[n - 1] : 0;
    this.maxTimestamp = n > 0 ? this.timestamps.data[n - 1] : -1;
    this.bytesSinceIndex = n > 0 ? 0 : Number.POSITIVE_INFINITY;
    while (pos + BATCH_HEADER_SIZE <= this.store.size) {
      const h = this.store.readSync(pos, BATCH_HEADER_SIZE);
      const size = LOG_OVERHEAD + h.readInt32BE(8);
      if (h.readInt8(16) !== 2 || size < BATCH_HEADER_SIZE || pos + size > this.store.size) return false;
      const maxTs = Number(h.readBigInt64BE(35));
      if (maxTs > this.maxTimestamp) this.maxTimestamp = maxTs;
      this.nextOffset = Number(h.readBigInt64BE(0)) + h.readInt32BE(23) + 1;
      this.bytesSinceIndex += size;
      pos += size;
    }
    this.size = pos;
    this.visibleEnd = pos;
    // Anything left over is a torn or foreign tail: the caller scans the segment instead.
    return pos === this.store.size;
  }

  /** Forgets what loadIndexes/restoreTailFromIndex learnt, before a full scan. */
  resetIndexes(): void {
    this.relOffsets.clear();
    this.positions.clear();
    this.timestamps.clear();
    this.persisted = false;
    this.bytesSinceIndex = Number.POSITIVE_INFINITY;
    this.maxTimestamp = -1;
    this.nextOffset = this.baseOffset;
    this.size = 0;
    this.visibleEnd = 0;
  }

  async removeFiles(): Promise<void> {
    await this.store.remove();
    if (this.pathPrefix) {
      await fs.promises.rm(`${this.pathPrefix}.index`, { force: true });
      await fs.promises.rm(`${this.pathPrefix}.timeindex`, { force: true });
      await fs.promises.rm(this.pathPrefix + TXN_INDEX_SUFFIX, { force: true });
    }
  }
}

async function writeWhole(path: string, data: Buffer, fsync: boolean): Promise<void> {
  const fh = await fs.promises.open(path, 'w', 0o644);
  try {
    await fh.writeFile(data);
    if (fsync) await fh.datasync();
  } finally {
    await fh.close();
  }
}
