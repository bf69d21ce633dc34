/**
 * The view of storage the handlers are written against. It is the small surface the Kafka APIs need
 * (topics, partitions, configs, append/read/offset lookups, waiting for data); `storage-topic-store.ts` maps it
 * onto the storage layer's LogManager so handlers do not depend on storage internals.
 */
import type { AppendResult, ReadResult } from './storage/index.js';
import type { AbortedTxnEntry } from './storage/txn-index.js';

export type { AppendResult, ReadResult };

export interface PartitionHandle {
  readonly highWatermark: bigint;
  readonly logStartOffset: bigint;
  /** Bytes the partition's segments hold (DescribeLogDirs). */
  readonly sizeBytes: number;
  /**
   * Appends produced batches (CRC-checked by storage). `durable`: resolve only once the broker's
   * durability level is met (fsync under `sync`), as acks=-1 asks; otherwise once appended.
   */
  append(records: Buffer, options: { durable: boolean }): Promise<AppendResult>;
  /** `alloc` supplies the buffer a file read fills (a pooled one: see storage/read-buffers.ts). */
  read(fetchOffset: bigint, maxBytes: number, alloc?: (size: number) => Buffer): ReadResult;
  /** The first record with the log's largest timestamp (KIP-734), or null when empty. */
  maxTimestampRecord(): Promise<{ offset: bigint; timestamp: bigint } | null>;
  /** First offset whose timestamp is >= `timestampMs`, or null if none. */
  offsetForTimestamp(timestampMs: bigint): Promise<{ offset: bigint; timestamp: bigint } | null>;
  /** DeleteRecords: moves the log start to `offset` (persisted); resolves to the new log start. */
  deleteRecordsBefore(offset: bigint): Promise<bigint>;
  /** Resolves once the high watermark passes `offset`, after `timeoutMs`, or when `signal` aborts. */
  waitForData(offset: bigint, timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** An abort marker was written: its transaction joins the segment's aborted-transactions index. */
  recordAbortedTransaction(entry: AbortedTxnEntry): Promise<void>;
  /** Start-up: rewrites the index files that differ from `entries`; the base offsets of those rewritten. */
  rebuildTxnIndexes(entries: readonly AbortedTxnEntry[]): Promise<bigint[]>;
}

/** Where a config value comes from, most specific first (Kafka's ConfigSource, see DescribeConfigs). */
export type ConfigOrigin = 'topic' | 'dynamic-broker' | 'dynamic-default' | 'static-broker' | 'default';

export interface ConfigEntry {
  name: string;
  value: string | null;
  isDefault: boolean;
  readOnly: boolean;
  source: ConfigOrigin;
  /** Where else the value could come from, most specific first (default: the entry itself). */
  synonyms?: Array<{ name: string; value: string | null; source: ConfigOrigin }>;
}

/** Dynamic broker configs: this broker's own (`--entity-name 0`) or the cluster default (`--entity-default`). */
export type BrokerConfigScope = 'broker' | 'default';

/** A storage failure that maps onto a Kafka error code (e.g. TOPIC_ALREADY_EXISTS, INVALID_CONFIG). */
export class TopicStoreError extends Error {
  override name = 'TopicStoreError';
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface TopicStore {
  topicNames(): string[];
  /** Kafka topic id in the protocol's form (22 base64url characters), or undefined. */
  topicId(topic: string): string | undefined;
  /** The topic with this id, or undefined. */
  topicById(topicId: string): string | undefined;
  /** Partition count, or undefined if the topic does not exist. */
  partitionCount(topic: string): number | undefined;
  partition(topic: string, index: number): PartitionHandle | undefined;
  createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<void>;
  /** Checks a creation without doing it (validate_only); throws TopicStoreError when it would fail. */
  validateTopic(name: string, partitions: number, configs: Record<string, string>): void;
  deleteTopic(name: string): Promise<void>;
  /** Grows `name` to `totalCount` partitions. */
  addPartitions(name: string, totalCount: number): Promise<void>;
  describeConfigs(topic: string): ConfigEntry[];
  /** The topic's effective max.message.bytes, or undefined if the topic does not exist. */
  maxMessageBytes(topic: string): number | undefined;
  /**
   * The topic's timestamp rules for produced batches (message.timestamp.type and
   * message.timestamp.after.max.ms), or undefined if the topic does not exist.
   */
  timestampRules(topic: string): { type: 'CreateTime' | 'LogAppendTime'; afterMaxMs: number } | undefined;
  /** Whether the topic's cleanup.policy compacts (its records need keys), or undefined if it does not exist. */
  compacted(topic: string): boolean | undefined;
  /**
   * Changes the topic's explicitly set configs (null reverts one to its default). `replace` drops those
   * not named, as AlterConfigs does; IncrementalAlterConfigs changes only those named.
   */
  alterConfigs(
    topic: string,
    changes: Record<string, string | null>,
    opts: { replace: boolean; validateOnly: boolean },
  ): Promise<void>;
  /** Dynamic broker configs of one scope, by broker name (log.retention.ms…). */
  brokerConfigs(scope: BrokerConfigScope): Record<string, string>;
  /** Changes dynamic broker configs (null reverts one); topics without their own value follow. */
  alterBrokerConfigs(
    scope: BrokerConfigScope,
    changes: Record<string, string | null>,
    validateOnly: boolean,
  ): Promise<void>;
  /** Flushes and closes everything. */
  close(): Promise<void>;
}
