/**
 * Where the coordinator keeps its state: the `__consumer_offsets` topic. The coordinator only needs to
 * append keyed records (a null value is a tombstone) and to read every record back on start; the broker
 * adapts its partition logs to this, tests use the in-memory log below.
 */
export interface OffsetsTopicRecord {
  key: Buffer;
  /** null writes a tombstone: the key's previous value is deleted. */
  value: Buffer | null;
  /** The record's own timestamp; the batch's when absent. */
  timestamp?: number;
}

export interface StoredOffsetsTopicRecord extends OffsetsTopicRecord {
  /** Milliseconds since the epoch at which the record was appended. */
  timestamp: number;
  /** Set for an offset commit written inside a transaction (TxnOffsetCommit): pending until its marker. */
  producerId?: bigint;
  /** Set for a transaction marker: true commits the producer's pending records, false drops them. */
  commit?: boolean;
}

/** The producer of a transactional append (TxnOffsetCommit). */
export interface TransactionalWriter {
  producerId: bigint;
  producerEpoch: number;
}

/**
 * Appends the records as one batch to `partition`, stamped with `timestamp`. Resolves with the batch's
 * base offset once it is as durable as the broker promises (an OffsetCommit is acknowledged only after
 * this resolves).
 */
export type AppendToOffsetsTopic = (
  partition: number,
  records: OffsetsTopicRecord[],
  timestamp: number,
  txn?: TransactionalWriter,
) => Promise<number>;

export interface OffsetsTopicLog {
  readonly partitions: number;
  readonly append: AppendToOffsetsTopic;
  /** Every record of the partition from its log start, oldest first, transaction markers included. */
  replay(partition: number): AsyncIterable<StoredOffsetsTopicRecord>;
}

/** A log that lives in memory: for `--memory` brokers and deterministic tests. */
export class MemoryOffsetsTopicLog implements OffsetsTopicLog {
  private readonly data: StoredOffsetsTopicRecord[][];

  constructor(readonly partitions = 1) {
    this.data = Array.from({ length: partitions }, () => []);
  }

  readonly append: AppendToOffsetsTopic = async (partition, records, timestamp, txn) => {
    const log = this.data[partition];
    if (!log) throw new RangeError(`__consumer_offsets has no partition ${partition}`);
    const base = log.length;
    for (const r of records)
      log.push({
        key: r.key,
        value: r.value,
        timestamp: r.timestamp ?? timestamp,
        ...(txn ? { producerId: txn.producerId } : {}),
      });
    return base;
  };

  /** Appends a transaction marker, as the transaction coordinator does in a broker. */
  mark(partition: number, producerId: bigint, commit: boolean, timestamp: number): void {
    this.data[partition]?.push({ key: Buffer.alloc(4), value: null, timestamp, producerId, commit });
  }

  async *replay(partition: number): AsyncIterable<StoredOffsetsTopicRecord> {
    for (const r of this.data[partition] ?? []) yield r;
  }

  /** Records held by a partition, for inspection. */
  records(partition: number): readonly StoredOffsetsTopicRecord[] {
    return this.data[partition] ?? [];
  }
}
