import type { FetchedPartition, FetchedRecord } from '../client/fetcher.js';
import type { OffsetToCommit } from '../client/group.js';

/** A record as the runtime hands it to a sink. */
export type ConsumerRecord = FetchedRecord;

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface SinkContext {
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: number;
  /** Aborted when the runtime gives up on this record (revocation or shutdown deadline passed). */
  signal: AbortSignal;
}

/**
 * Where records go. `write` resolves once the effect is durable (the runtime commits the offset only
 * after that) and rejects to ask for a retry. It may be called concurrently, up to the concurrency
 * limit, for records the ordering mode allows to run side by side.
 */
export interface Sink {
  readonly name: string;
  write(record: ConsumerRecord, context: SinkContext): Promise<void>;
  close?(): Promise<void>;
}

export interface FetchLimits {
  /** Bytes this round may bring in, across all partitions. */
  maxBytes: number;
  /** Bytes each partition may bring in. */
  partitionMaxBytes: number;
  /** How long the broker may hold the request waiting for data. */
  maxWaitMs: number;
}

export interface AssignmentListener {
  onAssign(partitions: TopicPartition[]): void | Promise<void>;
  /** Resolves once in-flight work of these partitions finished (or was given up) and was committed. */
  onRevoke(partitions: TopicPartition[]): Promise<void>;
}

/**
 * What the runtime pulls from: Kafka through our client (`KafkaSource`), or anything else with the same
 * shape (tests use an in-memory one on a virtual clock). There is no prefetching behind this interface:
 * a source returns what one `fetch` asked for, and nothing is buffered for later.
 */
export interface RecordSource {
  start(listener: AssignmentListener): Promise<void>;
  /** One fetch from these partitions (a subset of the assignment) within the limits. */
  fetch(partitions: TopicPartition[], limits: FetchLimits): Promise<FetchedPartition[]>;
  /** Moves the fetch position of a partition (the runtime rewinds past records it had no credit for). */
  seek(topic: string, partition: number, offset: bigint): void;
  commit(offsets: OffsetToCommit[]): Promise<void>;
  /** Leaves (revoking the assignment through the listener) and releases connections. */
  stop(): Promise<void>;
  /**
   * Releases connections and timers at once, failing whatever is still in flight: what `stop()` falls
   * back to when leaving did not finish in time (the broker is gone), so nothing keeps the process alive.
   */
  close?(): void;
}

export interface DeadLetterInfo {
  error: unknown;
  attempts: number;
}

/** Publishes a record that exhausted its retries; resolves once it is stored. */
export interface DeadLetterPublisher {
  publish(record: ConsumerRecord, info: DeadLetterInfo): Promise<void>;
  close?(): Promise<void>;
}

export type OrderingMode = 'partition' | 'key' | 'none';

/**
 * Exactly-once: the runtime ends a transaction per commit interval through this instead of committing
 * offsets to the source. `commit` writes the input offsets into the open transaction (whose outputs the
 * sink produced) and commits it; `abort` throws the open transaction away. See src/consumer/exactly-once.ts.
 */
export interface TransactionCommitter {
  /** Before the first fetch (InitProducerId: fences an older instance with the same transactional id). */
  init(): Promise<void>;
  commit(offsets: OffsetToCommit[]): Promise<void>;
  abort(): Promise<void>;
}
