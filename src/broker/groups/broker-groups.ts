import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../../flow/clock.js';
import { buildRecordBatch, decodeRecords, iterateBatches } from '../../protocol/record-batch.js';
import type { ApiHandler } from '../handler.js';
import { offsetCommitHandler } from '../handlers/08-offset-commit.js';
import { offsetFetchHandler } from '../handlers/09-offset-fetch.js';
import { findCoordinatorHandler } from '../handlers/10-find-coordinator.js';
import { joinGroupHandler } from '../handlers/11-join-group.js';
import { heartbeatHandler } from '../handlers/12-heartbeat.js';
import { leaveGroupHandler } from '../handlers/13-leave-group.js';
import { syncGroupHandler } from '../handlers/14-sync-group.js';
import { describeGroupsHandler } from '../handlers/15-describe-groups.js';
import { listGroupsHandler } from '../handlers/16-list-groups.js';
import { deleteGroupsHandler } from '../handlers/42-delete-groups.js';
import { offsetDeleteHandler } from '../handlers/47-offset-delete.js';
import type { PartitionHandle, TopicStore } from '../topic-store.js';
import { controlRecordCommits } from '../txn/transaction-log-format.js';
import { GroupCoordinator, type GroupCoordinatorConfig } from './coordinator.js';
import type {
  OffsetsTopicLog,
  OffsetsTopicRecord,
  StoredOffsetsTopicRecord,
  TransactionalWriter,
} from './offsets-topic-log.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** Broker options for consumer groups (`BrokerOptions.groups`). */
export interface BrokerGroupsOptions extends Partial<GroupCoordinatorConfig> {
  /** Partitions of `__consumer_offsets` when the broker creates it (Kafka's default is 50; ours 1). */
  offsetsTopicPartitions?: number;
  /**
   * `segment.bytes` of `__consumer_offsets` when the broker creates it (Kafka's
   * offsets.topic.segment.bytes, 100 MiB). Only closed segments are compacted, so this bounds how much
   * superseded history replay may still read.
   */
  offsetsTopicSegmentBytes?: number;
}

/**
 * `__consumer_offsets` is compacted, as in Kafka: storage keeps the newest record per key (commits and
 * group metadata) at its original offset and never moves the log start, so a reader of the topic from
 * offset 0 (Burrow) can never fall off its beginning. Time retention would drop idle groups' offsets:
 * expiring offsets is the coordinator's job (tombstones, which compaction removes after
 * delete.retention.ms).
 */
const DEFAULT_OFFSETS_TOPIC_SEGMENT_BYTES = 100 * 1024 * 1024;

function offsetsTopicConfigs(segmentBytes: number): Record<string, string> {
  return {
    'cleanup.policy': 'compact',
    'retention.ms': '-1',
    'retention.bytes': '-1',
    'segment.bytes': String(segmentBytes),
  };
}

const READ_CHUNK_BYTES = 1 << 20;

/** `__consumer_offsets` as the coordinator sees it, on top of the broker's partition logs. */
export class TopicStoreOffsetsLog implements OffsetsTopicLog {
  constructor(
    private readonly store: TopicStore,
    readonly partitions: number,
  ) {}

  private handle(partition: number): PartitionHandle {
    const handle = this.store.partition(OFFSETS_TOPIC, partition);
    if (!handle)
      throw new Error(`${OFFSETS_TOPIC} partition ${partition} is missing; was the topic deleted?`);
    return handle;
  }

  async append(
    partition: number,
    records: OffsetsTopicRecord[],
    timestamp: number,
    txn?: TransactionalWriter,
  ): Promise<number> {
    const batch = await buildRecordBatch({
      records: records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp ?? timestamp })),
      timestamp,
      ...(txn ? { producerId: txn.producerId, producerEpoch: txn.producerEpoch, transactional: true } : {}),
    });
    const { baseOffset } = await this.handle(partition).append(batch, { durable: true });
    return Number(baseOffset);
  }

  async *replay(partition: number): AsyncIterable<StoredOffsetsTopicRecord> {
    const handle = this.handle(partition);
    let next = handle.logStartOffset;
    const end = handle.highWatermark;
    while (next < end) {
      const { records } = handle.read(next, READ_CHUNK_BYTES);
      if (records.length === 0) break;
      for (const { buf, header } of iterateBatches(records)) {
        const { transactional, control } = header.attributes;
        for (const r of await decodeRecords(buf)) {
          if (r.offset < next || r.key === null) continue;
          const timestamp = Number(r.timestamp);
          if (control) {
            const commit = controlRecordCommits(r.key);
            if (commit !== undefined)
              yield { key: r.key, value: null, timestamp, producerId: header.producerId, commit };
          } else if (transactional) {
            yield { key: r.key, value: r.value, timestamp, producerId: header.producerId };
          } else {
            yield { key: r.key, value: r.value, timestamp };
          }
        }
        next = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
      }
    }
  }
}

export interface BrokerGroupsHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly registry: { register<Req, Res>(handler: ApiHandler<Req, Res>): unknown };
  readonly metrics: { registry: Registry };
  registerInternalTopic(name: string): void;
}

/**
 * Creates `__consumer_offsets` if needed, replays it into a coordinator and registers the group APIs.
 * Called by the broker once its logs are open and before it listens.
 */
export async function startBrokerGroups(
  host: BrokerGroupsHost,
  store: TopicStore,
  options: BrokerGroupsOptions = {},
): Promise<GroupCoordinator> {
  const {
    offsetsTopicPartitions = 1,
    offsetsTopicSegmentBytes = DEFAULT_OFFSETS_TOPIC_SEGMENT_BYTES,
    ...config
  } = options;
  if (!Number.isInteger(offsetsTopicPartitions) || offsetsTopicPartitions < 1) {
    throw new RangeError(
      `groups.offsetsTopicPartitions must be a positive integer, got ${offsetsTopicPartitions}`,
    );
  }
  if (store.partitionCount(OFFSETS_TOPIC) === undefined) {
    await store.createTopic(
      OFFSETS_TOPIC,
      offsetsTopicPartitions,
      offsetsTopicConfigs(offsetsTopicSegmentBytes),
    );
  }
  host.registerInternalTopic(OFFSETS_TOPIC);
  const partitions = store.partitionCount(OFFSETS_TOPIC) ?? offsetsTopicPartitions;
  const coordinator = new GroupCoordinator({
    clock: host.clock,
    log: new TopicStoreOffsetsLog(store, partitions),
    config,
    logger: host.log.child({ component: 'groups' }),
    registry: host.metrics.registry,
    partitionExists: (topic, partition) => {
      const count = store.partitionCount(topic);
      return count !== undefined && partition >= 0 && partition < count;
    },
  });
  await coordinator.start();
  for (const handler of groupHandlers(coordinator)) host.registry.register(handler);
  return coordinator;
}

export function groupHandlers(coordinator: GroupCoordinator): ApiHandler<never, unknown>[] {
  return [
    offsetCommitHandler(coordinator),
    offsetFetchHandler(coordinator),
    findCoordinatorHandler,
    joinGroupHandler(coordinator),
    heartbeatHandler(coordinator),
    leaveGroupHandler(coordinator),
    syncGroupHandler(coordinator),
    describeGroupsHandler(coordinator),
    listGroupsHandler(coordinator),
    deleteGroupsHandler(coordinator),
    offsetDeleteHandler(coordinator),
  ] as ApiHandler<never, unknown>[];
}
