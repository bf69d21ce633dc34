/**
 * The log of one topic-partition: an ordered list of segments, the last one active.
 *
 * Append path: validate every batch (magic 2, length, CRC-32C, size limit), assign offsets by
 * rewriting each header's baseOffset in place, reserve the bytes in the active segment (so offset
 * order equals byte order even with several appends in flight), issue one positional write, and
 * resolve when the durability level's guarantee holds:
 *   memory  the bytes are in the heap (no disk at all);
 *   async   the write reached the OS (page cache); dirty segments are fsynced every flushIntervalMs;
 *   sync    the bytes were fsynced. Appends waiting for an fsync share it (group commit): an fsync
 *           starts once no write is in flight (or many are waiting) and covers every append written so
 *           far, so N concurrent appends cost one fsync, not N.
 * The high watermark advances, in order, when an append's guarantee holds, so a consumer never reads
 * a record the durability level could still lose (in sync mode: nothing unfsynced is ever served).
 *
 * Read path: whole batches from the batch holding fetchOffset, via the sparse index and one positional
 * read; at least one batch even above maxBytes so a consumer never stalls.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../flow/clock.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  BATCH_HEADER_SIZE,
  CorruptRecordError,
  computeBatchCrc,
  decodeRecords,
  InvalidRecordError,
  LOG_OVERHEAD,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  splitBatches,
} from '../../protocol/record-batch.js';
import {
  type Allocator,
  type ByteStore,
  FileStore,
  MemoryStore,
  newStats,
  type StorageStats,
  syncDirSync,
  writeFileAtomicSync,
} from './byte-store.js';
import { buildOffsetMap, CLEANER_CHECKPOINT_FILE, cleanSegment, writeCleanedSegment } from './compactor.js';
import { deletesByRetention, isCompacted, type LogConfig } from './config.js';
import { InvalidConfigError, LogClosedError, OffsetOutOfRangeError, RecordTooLargeError } from './errors.js';
import {
  CLEAN_SHUTDOWN,
  emptyRecovery,
  LOG_START_FILE,
  type PartitionRecovery,
  recoverPartitionDir,
} from './recovery.js';
import { Segment, segmentFileName } from './segment.js';
import {
  type AbortedTxnEntry,
  appendTxnIndex,
  readTxnIndex,
  sameEntries,
  writeTxnIndex,
} from './txn-index.js';

export interface AppendOptions {
  /** Broker time for LogAppendTime and segment age (defaults to the clock). */
  now?: number;
  /** Stamp batches with the broker's time (topic config message.timestamp.type=LogAppendTime). */
  logAppendTime?: boolean;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The broker time stamped on the batches, or -1 when they keep the producer's CreateTime. */
  logAppendTimeMs: bigint;
  recordCount: number;
}

export interface ReadResult {
  /** Whole record batches starting at or before the fetch offset; empty when there is nothing yet. */
  records: Buffer;
  highWatermark: bigint;
  logStartOffset: bigint;
  /** OFFSET_OUT_OF_RANGE when the fetch offset is outside the log; absent when fine. */
  errorCode?: number;
}

interface CompactionResult {
  /** Base offsets of the segments rewritten. */
  segmentsCleaned: bigint[];
  recordsKept: number;
  recordsRemoved: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface PartitionLogOptions {
  topic: string;
  partition: number;
  /** Partition directory; required unless config.durability is 'memory'. */
  dir?: string;
  config: LogConfig;
  clock: Clock;
  stats?: StorageStats;
  /** How often a compacted topic checks its dirty ratio (Kafka's log.cleaner.backoff.ms: 15 s). */
  compactionCheckIntervalMs?: number;
}

interface PendingAppend {
  segment: Segment;
  endPosition: number;
  nextOffset: number;
  written: boolean;
  result: AppendResult;
  resolve: (r: AppendResult) => void;
  reject: (e: Error) => void;
}

const DEFAULT_COMPACTION_CHECK_INTERVAL_MS = 15_000;
/** Sealed segments whose indexes stay in memory (most recently used); the rest reload on demand. */
const RESIDENT_SEALED_SEGMENTS = 4;
/** Start a group commit even with writes in flight once this many appends wait (no starvation). */
const GROUP_COMMIT_MAX_WAITERS = 256;

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string | undefined;
  readonly stats: StorageStats;
  private config: LogConfig;
  private readonly clock: Clock;
  private segments: Segment[] = [];
  private hw = 0;
  private lso = 0;
  /** Offset the next append gets (ahead of hw while appends are in flight). */
  private nextOffset = 0;
  private pending: PendingAppend[] = [];
  private inflightWrites = 0;
  private syncing = false;
  private closed = false;
  private failure: Error | undefined;
  private listeners = new Set<(hw: bigint) => void>();
  private flushTimer: { cancel(): void } | undefined;
  private residentSealed: Segment[] = [];
  private dirNeedsSync = false;
  private compactionTimer: { cancel(): void } | undefined;
  private readonly indexPersists = new Set<Promise<void>>();
  private compaction: Promise<CompactionResult> | undefined;
  /** Offsets below this were in segments the last compaction cleaned. */
  private cleanedThrough = 0;
  private readonly compactionCheckIntervalMs: number;
  /** Why the last background compaction failed, if it did (the log keeps serving; cleaning stops). */
  compactionError: Error | undefined;

  private constructor(opts: PartitionLogOptions) {
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.config = { ...opts.config };
    this.clock = opts.clock;
    this.stats = opts.stats ?? newStats();
    this.compactionCheckIntervalMs = opts.compactionCheckIntervalMs ?? DEFAULT_COMPACTION_CHECK_INTERVAL_MS;
    this.dir = opts.config.durability === 'memory' ? undefined : opts.dir;
    if (opts.config.durability !== 'memory' && !opts.dir) {
      throw new InvalidConfigError(`durability "${opts.config.durability}" needs a data directory`);
    }
  }

  /** Opens (creating or recovering) the log. */
  static async open(opts: PartitionLogOptions): Promise<{ log: PartitionLog; recovery: PartitionRecovery }> {
    const log = new PartitionLog(opts);
    const recovery = await log.load();
    log.startBackgroundFlush();
    log.startBackgroundCompaction();
    return { log, recovery };
  }

  get durability(): LogConfig['durability'] {
    return this.config.durability;
  }

  get highWatermark(): bigint {
    return BigInt(this.hw);
  }

  /** The offset the next append will be given (includes appends still awaiting their guarantee). */
  get logEndOffset(): bigint {
    return BigInt(this.nextOffset);
  }

  get logStartOffset(): bigint {
    return BigInt(this.lso);
  }

  /** Largest batch max timestamp in the log; -1 when empty (ListOffsets max timestamp, KIP-734). */
  get maxTimestamp(): number {
    return this.segments.reduce((max, s) => Math.max(max, s.maxTimestamp), -1);
  }

  /** Bytes in all segments. */
  get size(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first (for tests and the admin API). */
  segmentBaseOffsets(): bigint[] {
    return this.segments.map((s) => BigInt(s.baseOffset));
  }

  /**
   * An aborted transaction's entry goes to the `.txnindex` of the segment holding its marker
   * (txn-index.ts). Memory logs keep no files: their state dies with the process anyway.
   */
  async recordAbortedTransaction(entry: AbortedTxnEntry): Promise<void> {
    const seg = this.segments[this.segmentIndexFor(Number(entry.lastOffset))];
    if (seg?.pathPrefix) await appendTxnIndex(seg.pathPrefix, entry);
  }

  /** Each segment's `.txnindex` entries, by segment base offset (empty for memory logs). */
  txnIndexes(): Array<{ baseOffset: bigint; entries: AbortedTxnEntry[] }> {
    return this.segments.flatMap((s) =>
      s.pathPrefix ? [{ baseOffset: BigInt(s.baseOffset), entries: readTxnIndex(s.pathPrefix) }] : [],
    );
  }

  /**
   * Start-up, after the log was walked: `entries` (every aborted transaction still in the log, in
   * marker order) are what the `.txnindex` files must hold. Files that differ (a crash lost or tore
   * their tail, or one went missing) are rewritten; returns the base offsets of those rewritten.
   */
  async rebuildTxnIndexes(entries: readonly AbortedTxnEntry[]): Promise<bigint[]> {
    const bySegment = new Map<Segment, AbortedTxnEntry[]>();
    for (const e of entries) {
      const seg = this.segments[this.segmentIndexFor(Number(e.lastOffset))];
      if (!seg) continue;
      const list = bySegment.get(seg);
      if (list) list.push(e);
      else bySegment.set(seg, [e]);
    }
    const rebuilt: bigint[] = [];
    for (const seg of this.segments) {
      if (!seg.pathPrefix) continue;
      const wanted = bySegment.get(seg) ?? [];
      if (sameEntries(readTxnIndex(seg.pathPrefix), wanted)) continue;
      await writeTxnIndex(seg.pathPrefix, wanted);
      rebuilt.push(BigInt(seg.baseOffset));
    }
    return rebuilt;
  }

  /** How many segments hold their indexes in memory (the active one plus a few recently read). */
  get residentIndexSegments(): number {
    return this.segments.filter((s) => s.resident).length;
  }

  getConfig(): LogConfig {
    return { ...this.config };
  }

  /** Applies a new config; durability can move between async and sync, not to or from memory. */
  updateConfig(next: LogConfig): void {
    if ((next.durability === 'memory') !== (this.config.durability === 'memory')) {
      throw new InvalidConfigError(
        `sluice.durability cannot change between memory and a disk level on a live topic ` +
          `(${this.config.durability} -> ${next.durability}); recreate the topic instead`,
      );
    }
    const restartFlush =
      next.durability !== this.config.durability || next.flushIntervalMs !== this.config.flushIntervalMs;
    const restartCompaction = isCompacted(next) !== isCompacted(this.config);
    this.config = { ...next };
    if (restartFlush) this.startBackgroundFlush();
    if (restartCompaction) this.startBackgroundCompaction();
    this.pump();
  }

  // --- append -------------------------------------------------------------------------------------

  /**
   * Appends the batches of `recordSet` (a Produce request's records for this partition). The log
   * rewrites the buffer's headers in place and owns it until the promise settles. Rejects with a
   * RecordBatchError/StorageError carrying the Kafka error code; nothing is appended then.
   */
  append(recordSet: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    try {
      return this.appendNow(recordSet, opts);
    } catch (err) {
      // e.g. the OS refused to create a new segment file (EMFILE, ENOSPC).
      return Promise.reject(err);
    }
  }

  private appendNow(recordSet: Buffer, opts: AppendOptions): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new LogClosedError(`log ${this.topic}-${this.partition}`));
    if (this.failure) return Promise.reject(this.failure);
    let batches: ReturnType<typeof splitBatches>['batches'];
    try {
      batches = this.validate(recordSet);
    } catch (err) {
      return Promise.reject(err);
    }
    const now = opts.now ?? this.clock.now();
    const logAppendTime = opts.logAppendTime ?? this.config.messageTimestampType === 'LogAppendTime';
    this.maybeRoll(recordSet.length, now);
    const seg = this.segments[this.segments.length - 1];
    const start = seg.size;
    const baseOffset = this.nextOffset;
    let recordCount = 0;
    for (const b of batches) {
      const count = b.header.lastOffsetDelta + 1;
      setBaseOffset(recordSet, b.position, this.nextOffset);
      setPartitionLeaderEpoch(recordSet, b.position, 0);
      if (logAppendTime) setLogAppendTime(recordSet, b.position, BigInt(now));
      seg.noteBatch({
        baseOffset: this.nextOffset,
        lastOffset: this.nextOffset + count - 1,
        position: start + b.position,
        size: b.size,
        maxTimestamp: logAppendTime ? now : Number(b.header.maxTimestamp),
      });
      this.nextOffset += count;
      recordCount += b.header.recordCount;
    }
    const result: AppendResult = {
      baseOffset: BigInt(baseOffset),
      lastOffset: BigInt(this.nextOffset - 1),
      logAppendTimeMs: logAppendTime ? BigInt(now) : -1n,
      recordCount,
    };
    seg.dirty = true;
    const write = seg.store.write(recordSet, start);
    if (this.config.durability === 'memory' && this.pending.length === 0) {
      // MemoryStore.write has already copied the bytes: publish now, so reads see them at once.
      write.catch((err: Error) => this.fail(err));
      this.publish(seg, start + recordSet.length, this.nextOffset);
      return Promise.resolve(result);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      const entry: PendingAppend = {
        segment: seg,
        endPosition: start + recordSet.length,
        nextOffset: this.nextOffset,
        written: false,
        result,
        resolve,
        reject,
      };
      this.pending.push(entry);
      this.inflightWrites++;
      write.then(
        () => {
          this.inflightWrites--;
          entry.written = true;
          this.pump();
        },
        (err: Error) => {
          this.inflightWrites--;
          this.fail(err);
        },
      );
    });
  }

  private validate(recordSet: Buffer) {
    const { batches, partialBytes } = splitBatches(recordSet);
    if (partialBytes > 0) {
      throw new CorruptRecordError(
        `record set ends with ${partialBytes} bytes that are not a whole batch; a produce request must carry whole batches`,
      );
    }
    if (batches.length === 0) throw new CorruptRecordError('record set is empty: nothing to append');
    for (const b of batches) {
      if (b.size > this.config.maxMessageBytes)
        throw new RecordTooLargeError(b.size, this.config.maxMessageBytes);
      const crc = computeBatchCrc(recordSet, b.position);
      if (crc !== b.header.crc) {
        throw new CorruptRecordError(
          `record batch at position ${b.position} fails its CRC-32C check (stored ${b.header.crc.toString(16)}, ` +
            `computed ${crc.toString(16)}): the data was damaged on the way`,
        );
      }
      if (b.header.recordCount <= 0 || b.header.lastOffsetDelta !== b.header.recordCount - 1) {
        throw new InvalidRecordError(
          `record batch at position ${b.position} has ${b.header.recordCount} records but lastOffsetDelta ` +
            `${b.header.lastOffsetDelta}; a producer batch holds records with offset deltas 0..count-1`,
        );
      }
    }
    return batches;
  }

  private maybeRoll(incoming: number, now: number): void {
    const active = this.segments[this.segments.length - 1];
    if (active.size === 0) return;
    const full = active.size + incoming > this.config.segmentBytes;
    const old = now - active.createdAtMs >= this.config.segmentMs;
    if (full || old) this.roll(now);
  }

  /** Closes the active segment and opens a new one at the next offset. */
  private roll(now: number): void {
    const old = this.segments[this.segments.length - 1];
    const seg = this.createSegment(this.nextOffset, now, old);
    old.sealed = true;
    this.segments.push(seg);
    if (this.dir) {
      this.dirNeedsSync = true;
      // Persist the sealed segment's indexes once its last bytes are written.
      const sealed = old;
      const persist = () => {
        const done = sealed.persistIndexes(true).then(
          () => this.touch(sealed),
          (err: Error) => this.fail(err),
        );
        // Compaction waits for these, so a late write can never put stale indexes beside a cleaned file.
        this.indexPersists.add(done);
        done.finally(() => this.indexPersists.delete(done));
      };
      const lastWrite = this.pending.filter((p) => p.segment === sealed);
      if (lastWrite.length === 0) persist();
      else this.afterPublished(lastWrite[lastWrite.length - 1].nextOffset, persist);
    }
  }

  /** A new segment file at `baseOffset`; with `previous`, its writes wait for the previous one's. */
  private createSegment(baseOffset: number, now: number, previous?: Segment): Segment {
    let store: ByteStore;
    let prefix: string | undefined;
    if (this.dir) {
      prefix = path.join(this.dir, segmentFileName(baseOffset));
      const before = previous?.store instanceof FileStore ? previous.store : undefined;
      store = FileStore.open(`${prefix}.log`, this.stats, before);
    } else {
      store = new MemoryStore();
    }
    return new Segment(baseOffset, store, prefix, now, this.config.indexIntervalBytes);
  }

  /** Moves appends whose guarantee now holds from pending to published, in order. */
  private pump(): void {
    if (this.config.durability !== 'sync') {
      while (this.pending.length > 0 && this.pending[0].written) {
        const p = this.pending.shift()!;
        this.publish(p.segment, p.endPosition, p.nextOffset);
        p.resolve(p.result);
      }
      return;
    }
    if (this.syncing) return;
    let ready = 0;
    while (ready < this.pending.length && this.pending[ready].written) ready++;
    if (ready === 0) return;
    if (this.inflightWrites > 0 && ready < GROUP_COMMIT_MAX_WAITERS) return;
    const batch = this.pending.splice(0, ready);
    this.syncing = true;
    this.groupCommit(batch).then(
      () => {
        this.syncing = false;
        for (const p of batch) {
          this.publish(p.segment, p.endPosition, p.nextOffset);
          p.resolve(p.result);
        }
        this.pump();
      },
      (err: Error) => {
        this.syncing = false;
        for (const p of batch) p.reject(err);
        this.fail(err);
      },
    );
  }

  /** One fsync per dirty segment (normally just the active one) for every append in `batch`. */
  private async groupCommit(batch: PendingAppend[]): Promise<void> {
    const segs = new Set<Segment>();
    for (const p of batch) segs.add(p.segment);
    if (this.dirNeedsSync && this.dir) {
      this.dirNeedsSync = false;
      syncDirSync(this.dir, this.stats);
    }
    await Promise.all([...segs].map((s) => this.syncSegment(s)));
  }

  private async syncSegment(seg: Segment): Promise<void> {
    seg.dirty = false;
    await seg.store.sync();
  }

  /** Marks a sealed segment's indexes recently used, releasing the least recently used beyond the cap. */
  private touch(seg: Segment): void {
    if (!this.dir || !seg.sealed) return;
    const at = this.residentSealed.indexOf(seg);
    if (at >= 0) this.residentSealed.splice(at, 1);
    this.residentSealed.push(seg);
    while (this.residentSealed.length > RESIDENT_SEALED_SEGMENTS) this.residentSealed.shift()!.release();
  }

  private forget(seg: Segment): void {
    const at = this.residentSealed.indexOf(seg);
    if (at >= 0) this.residentSealed.splice(at, 1);
  }

  private publish(seg: Segment, endPosition: number, nextOffset: number): void {
    if (endPosition > seg.visibleEnd) seg.visibleEnd = endPosition;
    if (nextOffset <= this.hw) return;
    this.hw = nextOffset;
    const hw = BigInt(nextOffset);
    for (const l of this.listeners) {
      try {
        l(hw);
      } catch {
        // A listener's failure must not break the append path.
      }
    }
  }

  private afterPublished(offset: number, fn: () => void): void {
    if (this.hw >= offset) {
      fn();
      return;
    }
    const listener = (hw: bigint) => {
      if (hw >= BigInt(offset)) {
        this.listeners.delete(listener);
        fn();
      }
    };
    this.listeners.add(listener);
  }

  /** A write failed: the log stops accepting appends (as Kafka takes a failed log dir offline). */
  private fail(err: Error): void {
    if (!this.failure) this.failure = err;
    const waiting = this.pending.splice(0);
    for (const p of waiting) p.reject(err);
  }

  // --- read ---------------------------------------------------------------------------------------

  /** `alloc` supplies the buffer a file read fills (pooled by the Fetch path); see ByteStore.readSync. */
  read(fetchOffset: bigint, maxBytes: number, alloc?: Allocator): ReadResult {
    const highWatermark = BigInt(this.hw);
    const logStartOffset = BigInt(this.lso);
    const empty = Buffer.alloc(0);
    if (fetchOffset < logStartOffset || fetchOffset > highWatermark) {
      return { records: empty, highWatermark, logStartOffset, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
    }
    if (fetchOffset === highWatermark) return { records: empty, highWatermark, logStartOffset };
    const offset = Number(fetchOffset);
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      const seg = this.segments[i];
      this.touch(seg);
      const found = seg.findBatch(offset);
      if (!found) continue;
      const want = Math.min(seg.visibleEnd - found.position, Math.max(maxBytes, found.size));
      const buf = seg.store.readSync(found.position, want, alloc);
      return { records: buf.subarray(0, wholeBatchesLength(buf, found.size)), highWatermark, logStartOffset };
    }
    return { records: empty, highWatermark, logStartOffset };
  }

  /** Index of the segment whose base offset is the largest <= offset. */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Base offset of the first batch whose maxTimestamp >= ts, or null when none is (ListOffsets by
   * time; the special timestamps -1 latest and -2 earliest are the caller's to map).
   */
  offsetForTimestamp(ts: bigint): bigint | null {
    const target = Number(ts);
    for (const seg of this.segments) {
      if (seg.maxTimestamp < target) continue;
      this.touch(seg);
      const found = seg.findTimestamp(target);
      if (found !== undefined) return BigInt(Math.max(found, this.lso));
    }
    return null;
  }

  /**
   * Kafka's exact ListOffsets answer: the first *record* whose timestamp >= ts. Decodes (and
   * decompresses) only the one batch that offsetForTimestamp found.
   */
  async offsetForTimestampExact(ts: bigint): Promise<bigint | null> {
    const base = this.offsetForTimestamp(ts);
    if (base === null) return null;
    const { records } = this.read(base, 1);
    if (records.length === 0) return base;
    for (const r of await decodeRecords(records.subarray(0, LOG_OVERHEAD + records.readInt32BE(8)))) {
      if (r.offset >= base && r.timestamp >= ts) return r.offset;
    }
    return base;
  }

  // --- long-poll ----------------------------------------------------------------------------------

  /** Calls `listener(highWatermark)` after each advance; returns the unsubscribe function. */
  onAppend(listener: (highWatermark: bigint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves true as soon as the high watermark is past `afterOffset`, false when `timeoutMs` passes
   * first (on the log's clock) or the signal aborts.
   */
  waitForData(afterOffset: bigint, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (BigInt(this.hw) > afterOffset) return Promise.resolve(true);
    if (this.closed || signal?.aborted || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const finish = (v: boolean) => {
        unsubscribe();
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onAbort = () => finish(false);
      const unsubscribe = this.onAppend((hw) => {
        if (hw > afterOffset) finish(true);
      });
      const timer = this.clock.setTimeout(() => finish(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // --- retention ----------------------------------------------------------------------------------

  /**
   * Deletes whole closed segments past retention.ms (by their newest timestamp) or beyond
   * retention.bytes, advancing logStartOffset. Returns the base offsets deleted.
   */
  async applyRetention(now = this.clock.now()): Promise<bigint[]> {
    // cleanup.policy=compact alone keeps every segment; the compactor bounds the log instead.
    if (this.closed || !deletesByRetention(this.config)) return [];
    const deleted: Segment[] = [];
    const { retentionMs, retentionBytes } = this.config;
    if (retentionMs >= 0) {
      const expired = (s: Segment) => {
        const newest = s.maxTimestamp >= 0 ? s.maxTimestamp : s.createdAtMs;
        return s.size > 0 && now - newest > retentionMs;
      };
      // When everything, the active segment included, has expired, roll so it can go too.
      if (this.segments.every(expired) && this.pending.length === 0) this.roll(now);
      while (
        this.segments.length > 1 &&
        this.segments[0].sealed &&
        expired(this.segments[0]) &&
        this.isSettled(this.segments[0])
      ) {
        deleted.push(this.segments.shift()!);
      }
    }
    if (retentionBytes >= 0) {
      let total = this.size;
      while (
        this.segments.length > 1 &&
        this.segments[0].sealed &&
        this.isSettled(this.segments[0]) &&
        total - this.segments[0].size >= retentionBytes
      ) {
        total -= this.segments[0].size;
        deleted.push(this.segments.shift()!);
      }
    }
    if (deleted.length === 0) return [];
    this.advanceLogStart(this.segments[0].baseOffset);
    for (const s of deleted) {
      this.forget(s);
      await s.removeFiles();
    }
    return deleted.map((s) => BigInt(s.baseOffset));
  }

  /** A segment is settled when no append into it awaits its guarantee. */
  private isSettled(seg: Segment): boolean {
    return !this.pending.some((p) => p.segment === seg);
  }

  /** DeleteRecords: moves logStartOffset to `offset` and drops the segments wholly before it. */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    const target = Number(offset);
    if (target > this.hw || target < 0) {
      throw new OffsetOutOfRangeError(
        `cannot delete records before ${offset}: it must lie between 0 and the high watermark ${this.hw}`,
      );
    }
    if (target <= this.lso) return BigInt(this.lso);
    if (target === this.hw && this.pending.length === 0 && this.segments[this.segments.length - 1].size > 0) {
      this.roll(this.clock.now());
    }
    const deleted: Segment[] = [];
    while (
      this.segments.length > 1 &&
      this.segments[1].baseOffset <= target &&
      this.isSettled(this.segments[0])
    ) {
      deleted.push(this.segments.shift()!);
    }
    this.advanceLogStart(target);
    for (const s of deleted) {
      this.forget(s);
      await s.removeFiles();
    }
    return BigInt(this.lso);
  }

  private advanceLogStart(offset: number): void {
    if (offset <= this.lso) return;
    this.lso = offset;
    // Fsynced: a DeleteRecords the client saw succeed must not come back after a power loss.
    if (this.dir) writeFileAtomicSync(path.join(this.dir, LOG_START_FILE), String(offset), this.stats);
  }

  // --- compaction ---------------------------------------------------------------------------------

  /** Sealed segments a compaction may rewrite: the oldest ones, up to the first still being written. */
  private cleanableSegments(): Segment[] {
    const out: Segment[] = [];
    for (const s of this.segments.slice(0, -1)) {
      if (!s.sealed || !this.isSettled(s)) break;
      out.push(s);
    }
    return out;
  }

  /** Bytes of cleanable segments not yet compacted / all cleanable bytes (0 when none). */
  dirtyRatio(): number {
    let dirty = 0;
    let total = 0;
    for (const s of this.cleanableSegments()) {
      total += s.size;
      if (s.nextOffset > this.cleanedThrough) dirty += s.size;
    }
    return total === 0 ? 0 : dirty / total;
  }

  private startBackgroundCompaction(): void {
    this.compactionTimer?.cancel();
    this.compactionTimer = undefined;
    if (!isCompacted(this.config)) return;
    this.compactionTimer = this.clock.setInterval(() => {
      if (this.compaction || this.compactionError || this.closed) return;
      if (this.dirtyRatio() < this.config.minCleanableDirtyRatio || this.dirtyRatio() === 0) return;
      this.compact().catch((err: Error) => {
        this.compactionError = err;
      });
    }, this.compactionCheckIntervalMs);
  }

  /**
   * Compacts the closed segments now (the background check does this when the dirty ratio reaches
   * min.cleanable.dirty.ratio): newest record per key kept at its offset, expired tombstones and
   * keyless records dropped, the active segment and the log start untouched. Concurrent calls share
   * one run.
   */
  compact(now = this.clock.now()): Promise<CompactionResult> {
    if (!isCompacted(this.config)) {
      return Promise.reject(
        new InvalidConfigError(
          `${this.topic}-${this.partition} has cleanup.policy=${this.config.cleanupPolicy}; ` +
            'set cleanup.policy=compact to compact it',
        ),
      );
    }
    if (this.closed) return Promise.reject(new LogClosedError(`log ${this.topic}-${this.partition}`));
    if (!this.compaction) {
      this.compaction = this.runCompaction(now).finally(() => {
        this.compaction = undefined;
      });
    }
    return this.compaction;
  }

  private async runCompaction(now: number): Promise<CompactionResult> {
    const result: CompactionResult = {
      segmentsCleaned: [],
      recordsKept: 0,
      recordsRemoved: 0,
      bytesBefore: 0,
      bytesAfter: 0,
    };
    await Promise.all(this.indexPersists);
    const segments = this.cleanableSegments();
    if (segments.length === 0) return result;
    const map = await buildOffsetMap(segments);
    const newest = segments[segments.length - 1];
    // The newest cleanable batch stays whole, so a reader past every survivor still finds a batch
    // when the active segment is empty (Kafka keeps the log's last batch for the same reason).
    const keepBatchAt = lastBatchBase(newest);
    for (const seg of segments) {
      const cleaned = await cleanSegment(seg, {
        map,
        now,
        deleteRetentionMs: this.config.deleteRetentionMs,
        keepBatchAt,
      });
      result.recordsKept += cleaned.recordsKept;
      if (cleaned.recordsRemoved === 0) continue;
      if (this.closed || !this.segments.includes(seg)) break;
      result.recordsRemoved += cleaned.recordsRemoved;
      result.bytesBefore += seg.size;
      const replacement = await writeCleanedSegment(seg, cleaned.batches, {
        stats: this.stats,
        indexIntervalBytes: this.config.indexIntervalBytes,
        stillLive: () => !this.closed && this.segments.includes(seg),
        swapIn: (next) => {
          this.segments[this.segments.indexOf(seg)] = next;
          this.forget(seg);
        },
      });
      if (!replacement) break;
      for (const f of cleaned.facts) replacement.noteBatch(f);
      replacement.sealed = true;
      replacement.visibleEnd = replacement.size;
      replacement.nextOffset = seg.nextOffset;
      result.bytesAfter += replacement.size;
      result.segmentsCleaned.push(BigInt(seg.baseOffset));
      await replacement.persistIndexes(true);
      this.touch(replacement);
    }
    this.cleanedThrough = Math.max(this.cleanedThrough, newest.nextOffset);
    if (this.dir && !this.closed) {
      const file = path.join(this.dir, CLEANER_CHECKPOINT_FILE);
      fs.writeFileSync(`${file}.tmp`, String(this.cleanedThrough));
      fs.renameSync(`${file}.tmp`, file);
    }
    return result;
  }

  // --- flush and close ----------------------------------------------------------------------------

  private startBackgroundFlush(): void {
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    if (this.config.durability !== 'async') return;
    this.flushTimer = this.clock.setInterval(() => {
      this.flushDirty().catch((err: Error) => this.fail(err));
    }, this.config.flushIntervalMs);
  }

  private async flushDirty(): Promise<void> {
    const segs = this.segments.filter((s) => s.dirty);
    if (this.dirNeedsSync && this.dir) {
      this.dirNeedsSync = false;
      syncDirSync(this.dir, this.stats);
    }
    await Promise.all(segs.map((s) => this.syncSegment(s)));
  }

  /** Waits for every append in flight, then fsyncs everything written (no-op in memory). */
  async flush(): Promise<void> {
    if (this.pending.length > 0) await this.afterAllPending();
    if (this.dir) await this.flushDirty();
  }

  private afterAllPending(): Promise<void> {
    const last = this.pending[this.pending.length - 1];
    return new Promise<void>((resolve) => this.afterPublished(last.nextOffset, () => resolve()));
  }

  /** Flushes, persists indexes, marks a clean shutdown and releases files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    this.compactionTimer?.cancel();
    this.compactionTimer = undefined;
    await this.compaction?.catch(() => undefined);
    if (!this.failure) await this.flush().catch(() => undefined);
    this.closed = true;
    this.listeners.clear();
    if (this.dir && !this.failure) {
      for (const s of this.segments) await s.persistIndexes(true);
      fs.writeFileSync(path.join(this.dir, CLEAN_SHUTDOWN), '');
      syncDirSync(this.dir, this.stats);
    }
    for (const s of this.segments) await s.store.close();
  }

  /** Closes and deletes every file (topic deletion). */
  async destroy(): Promise<void> {
    this.flushTimer?.cancel();
    this.compactionTimer?.cancel();
    await this.compaction?.catch(() => undefined);
    this.closed = true;
    this.fail(new LogClosedError(`log ${this.topic}-${this.partition} (deleted)`));
    for (const s of this.segments) await s.store.close();
    if (this.dir) await fs.promises.rm(this.dir, { recursive: true, force: true });
  }

  // --- load (the recovery protocol itself is in recovery.ts) -------------------------------------

  private async load(): Promise<PartitionRecovery> {
    const now = this.clock.now();
    if (!this.dir) {
      this.segments.push(this.createSegment(0, now));
      return emptyRecovery(this.topic, this.partition);
    }
    const recovered = await recoverPartitionDir({
      topic: this.topic,
      partition: this.partition,
      dir: this.dir,
      config: this.config,
      stats: this.stats,
      newSegment: (baseOffset) => this.createSegment(baseOffset, now),
    });
    this.segments = recovered.segments;
    this.nextOffset = recovered.nextOffset;
    this.hw = recovered.nextOffset;
    this.lso = recovered.logStartOffset;
    this.cleanedThrough = recovered.cleanedThrough;
    if (recovered.dirNeedsSync) this.dirNeedsSync = true;
    return recovered.report;
  }
}

/** Base offset of a segment's last batch (undefined when empty). */
function lastBatchBase(seg: Segment): number | undefined {
  let pos = 0;
  let base: number | undefined;
  while (pos + BATCH_HEADER_SIZE <= seg.visibleEnd) {
    const h = seg.store.readSync(pos, 12);
    base = Number(h.readBigInt64BE(0));
    pos += LOG_OVERHEAD + h.readInt32BE(8);
  }
  return base;
}

/** Length of the whole batches at the start of `buf` (at least the first, whose size is known). */
function wholeBatchesLength(buf: Buffer, firstSize: number): number {
  let end = Math.min(firstSize, buf.length);
  while (end + BATCH_HEADER_SIZE <= buf.length) {
    const size = LOG_OVERHEAD + buf.readInt32BE(end + 8);
    if (end + size > buf.length) break;
    end += size;
  }
  return end;
}
