/**
 * Where the coordinator keeps its state: the `__consumer_offsets` topic. The coordinator only needs to
 * append keyed records (a null value is a tombstone) and to read every record back on start; the broker
 * adapts its partition logs to this, tests use the in-memory log below.
 */
export interface OffsetsTopicRecord {
  key: Buffer;
  /** null writes a tombstone: the key's previous value is deleted. */
  value: Buffer | null;
  /** The record's own timestamp; the batch's when absent (a snapshot keeps the originals). */
  timestamp?: number;
}

export interface StoredOffsetsTopicRecord extends OffsetsTopicRecord {
  /** Milliseconds since the epoch at which the record was appended. */
  timestamp: number;
}

export interface OffsetsTopicLog {
  readonly partitions: number;
  /**
   * Appends the records as one batch to `partition`, stamped with `timestamp`. Resolves with the
   * batch's base offset once it is as durable as the broker promises (an OffsetCommit is acknowledged
   * only after this resolves).
   */
  append(partition: number, records: OffsetsTopicRecord[], timestamp: number): Promise<number>;
  /** Every record of the partition from its log start, oldest first. */
  replay(partition: number): AsyncIterable<StoredOffsetsTopicRecord>;
  /**
   * Drops the records before `offset` (the coordinator has just re-written everything still live after
   * it). Optional: a log that cannot do it simply keeps growing.
   */
  deleteBefore?(partition: number, offset: number): Promise<void>;
}

/** A log that lives in memory: for `--memory` brokers and deterministic tests. */
export class MemoryOffsetsTopicLog implements OffsetsTopicLog {
  private readonly data: StoredOffsetsTopicRecord[][];
  /** Offset of each partition's first kept record. */
  private readonly start: number[];

  constructor(readonly partitions = 1) {
    this.data = Array.from({ length: partitions }, () => []);
    this.start = new Array(partitions).fill(0);
  }

  async append(partition: number, records: OffsetsTopicRecord[], timestamp: number): Promise<number> {
    const log = this.data[partition];
    if (!log) throw new RangeError(`__consumer_offsets has no partition ${partition}`);
    const base = this.start[partition] + log.length;
    for (const r of records) log.push({ key: r.key, value: r.value, timestamp: r.timestamp ?? timestamp });
    return base;
  }

  async *replay(partition: number): AsyncIterable<StoredOffsetsTopicRecord> {
    for (const r of this.data[partition] ?? []) yield r;
  }

  async deleteBefore(partition: number, offset: number): Promise<void> {
    const drop = Math.max(0, Math.min(offset - this.start[partition], this.data[partition].length));
    this.data[partition].splice(0, drop);
    this.start[partition] += drop;
  }

  /** Records held by a partition, for inspection. */
  records(partition: number): readonly StoredOffsetsTopicRecord[] {
    return this.data[partition] ?? [];
  }
}
