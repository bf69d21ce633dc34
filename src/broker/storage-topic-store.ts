import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/errors.js';
import { decodeRecords } from '../protocol/record-batch.js';
import type { BrokerConfig } from './config.js';
import { dataDirError, prepareDataDir } from './storage/data-dir.js';
import { StorageIoError } from './storage/errors.js';
import {
  type Allocator,
  isCompacted,
  LogManager,
  type PartitionLog,
  type PartitionRecovery,
  validateTopicConfigs,
  validateTopicName,
} from './storage/index.js';
import type { AbortedTxnEntry } from './storage/txn-index.js';
import {
  type AppendResult,
  type BrokerConfigScope,
  type ConfigEntry,
  type PartitionHandle,
  type ReadResult,
  type TopicStore,
  TopicStoreError,
} from './topic-store.js';

export interface RecoverySummary {
  /** One line for the banner. */
  summary: string;
  partitions: PartitionRecovery[];
}

/** Storage errors carry a Kafka error code; anything else is a bug and stays an exception. */
function mapError(err: unknown): never {
  if (err instanceof Error && typeof (err as { errorCode?: unknown }).errorCode === 'number') {
    throw new TopicStoreError((err as unknown as { errorCode: number }).errorCode, err.message);
  }
  throw err;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    mapError(err);
  }
}

class LogHandle implements PartitionHandle {
  constructor(private readonly log: PartitionLog) {}

  get highWatermark(): bigint {
    return this.log.highWatermark;
  }

  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }

  get sizeBytes(): number {
    return this.log.size;
  }

  append(records: Buffer): Promise<AppendResult> {
    // Storage acknowledges at the log's durability level (fsync first under `sync`), whatever the acks.
    return guarded(() => this.log.append(records));
  }

  read(fetchOffset: bigint, maxBytes: number, alloc?: Allocator): ReadResult {
    const r = this.log.read(fetchOffset, maxBytes, alloc);
    return { ...r, errorCode: r.errorCode ?? ErrorCode.NONE };
  }

  maxTimestampRecord(): Promise<{ offset: bigint; timestamp: bigint } | null> {
    const max = this.log.maxTimestamp;
    return max < 0 ? Promise.resolve(null) : this.offsetForTimestamp(BigInt(max));
  }

  /**
   * Storage finds the first batch that reaches the timestamp; Kafka answers with the first record, so
   * the batch is decoded to pick the exact record (and its timestamp).
   */
  async offsetForTimestamp(timestampMs: bigint): Promise<{ offset: bigint; timestamp: bigint } | null> {
    let offset = this.log.offsetForTimestamp(timestampMs);
    while (offset !== null && offset < this.log.highWatermark) {
      const { records } = this.log.read(offset, 1);
      if (records.length === 0) return null;
      const batchSize = 12 + records.readInt32BE(8);
      for (const r of await decodeRecords(records.subarray(0, batchSize))) {
        if (r.offset >= offset && r.timestamp >= timestampMs)
          return { offset: r.offset, timestamp: r.timestamp };
      }
      offset = records.readBigInt64BE(0) + BigInt(records.readInt32BE(23)) + 1n;
    }
    return null;
  }

  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return guarded(() => this.log.deleteRecordsBefore(offset));
  }

  async waitForData(offset: bigint, timeoutMs: number, signal: AbortSignal): Promise<void> {
    await this.log.waitForData(offset, timeoutMs, signal);
  }

  recordAbortedTransaction(entry: AbortedTxnEntry): Promise<void> {
    return guarded(() => this.log.recordAbortedTransaction(entry));
  }

  rebuildTxnIndexes(entries: readonly AbortedTxnEntry[]): Promise<bigint[]> {
    return guarded(() => this.log.rebuildTxnIndexes(entries));
  }
}

/** The handlers' TopicStore on top of storage's LogManager. */
class LogManagerStore implements TopicStore {
  private readonly handles = new WeakMap<PartitionLog, LogHandle>();

  constructor(readonly manager: LogManager) {}

  topicNames(): string[] {
    return this.manager.topics().map((t) => t.name);
  }

  topicId(topic: string): string | undefined {
    const id = this.manager.getTopic(topic)?.topicId;
    return id === undefined ? undefined : Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url');
  }

  topicById(topicId: string): string | undefined {
    return this.manager.topics().find((t) => this.topicId(t.name) === topicId)?.name;
  }

  partitionCount(topic: string): number | undefined {
    return this.manager.getTopic(topic)?.partitions;
  }

  partition(topic: string, index: number): PartitionHandle | undefined {
    const log = this.manager.getLog(topic, index);
    if (!log) return undefined;
    let h = this.handles.get(log);
    if (!h) {
      h = new LogHandle(log);
      this.handles.set(log, h);
    }
    return h;
  }

  async createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<void> {
    await guarded(() => this.manager.createTopic(name, partitions, configs));
  }

  validateTopic(name: string, partitions: number, configs: Record<string, string>): void {
    try {
      validateTopicName(name);
      validateTopicConfigs(configs);
    } catch (err) {
      mapError(err);
    }
    if (this.manager.hasTopic(name))
      throw new TopicStoreError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic "${name}" already exists`);
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new TopicStoreError(
        ErrorCode.INVALID_PARTITIONS,
        `partition count must be at least 1 (got ${partitions})`,
      );
    }
  }

  async deleteTopic(name: string): Promise<void> {
    await guarded(() => this.manager.deleteTopic(name));
  }

  async addPartitions(name: string, totalCount: number): Promise<void> {
    await guarded(() => this.manager.addPartitions(name, totalCount));
  }

  describeConfigs(topic: string): ConfigEntry[] {
    try {
      return this.manager.describeTopicConfigs(topic).map((e) => ({ ...e, readOnly: false }));
    } catch (err) {
      mapError(err);
    }
  }

  maxMessageBytes(topic: string): number | undefined {
    return this.manager.hasTopic(topic) ? this.manager.topicConfig(topic).maxMessageBytes : undefined;
  }

  timestampRules(topic: string): { type: 'CreateTime' | 'LogAppendTime'; afterMaxMs: number } | undefined {
    if (!this.manager.hasTopic(topic)) return undefined;
    const config = this.manager.topicConfig(topic);
    return { type: config.messageTimestampType, afterMaxMs: config.messageTimestampAfterMaxMs };
  }

  compacted(topic: string): boolean | undefined {
    return this.manager.hasTopic(topic) ? isCompacted(this.manager.topicConfig(topic)) : undefined;
  }

  async alterConfigs(
    topic: string,
    changes: Record<string, string | null>,
    opts: { replace: boolean; validateOnly: boolean },
  ): Promise<void> {
    await guarded(() => this.manager.alterTopicConfigs(topic, changes, opts));
  }

  brokerConfigs(scope: BrokerConfigScope): Record<string, string> {
    return this.manager.brokerConfigs(scope);
  }

  async alterBrokerConfigs(
    scope: BrokerConfigScope,
    changes: Record<string, string | null>,
    validateOnly: boolean,
  ): Promise<void> {
    await guarded(() => this.manager.alterBrokerConfigs(scope, changes, { validateOnly }));
  }

  close(): Promise<void> {
    return this.manager.close();
  }
}

/** Opens (and recovers) the logs for a broker configuration. */
export async function openTopicStore(
  config: BrokerConfig,
  log: Logger,
): Promise<{ store: TopicStore; manager: LogManager; recovery: RecoverySummary }> {
  const onDisk = config.durability !== 'memory';
  if (onDisk) prepareDataDir(config.dataDir);
  let manager: LogManager;
  try {
    manager = await LogManager.open({
      dataDir: onDisk ? config.dataDir : undefined,
      clock: config.clock,
      durability: config.durability,
      defaults: { 'max.message.bytes': config.messageMaxBytes },
    });
  } catch (err) {
    // A write that fails during recovery (a full disk on restart) names the directory and the cause.
    if (onDisk && ((err as NodeJS.ErrnoException).code || err instanceof StorageIoError)) {
      throw dataDirError(config.dataDir, err);
    }
    throw err;
  }
  const partitions = [...manager.recovery];
  const repaired = partitions.filter((p) => !p.cleanShutdown);
  const truncated = partitions.reduce((n, p) => n + p.bytesTruncated, 0);
  const summary =
    partitions.length === 0
      ? 'nothing to recover'
      : repaired.length === 0
        ? `${partitions.length} partition(s) loaded, all shut down cleanly`
        : `${partitions.length} partition(s) loaded, ${repaired.length} scanned after an unclean shutdown, ${truncated} byte(s) truncated`;
  const damaged = partitions.reduce((n, p) => n + p.damaged.length, 0);
  for (const p of partitions.filter((q) => q.damaged.length > 0)) {
    log.error(
      { topic: p.topic, partition: p.partition, details: p.details, damaged: p.damaged },
      'DAMAGED DATA: intact batches after the damage were kept, the damaged bytes moved aside',
    );
  }
  for (const p of repaired) {
    log.warn(
      { topic: p.topic, partition: p.partition, details: p.details, bytesTruncated: p.bytesTruncated },
      'partition recovered',
    );
  }
  const damage = damaged === 0 ? '' : `; DAMAGE: ${damaged} damaged region(s) moved aside, see the log`;
  return {
    store: new LogManagerStore(manager),
    manager,
    recovery: { summary: summary + damage, partitions },
  };
}
