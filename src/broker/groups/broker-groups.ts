import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../../flow/clock.js';
import { checkNumber } from '../../flow/validate.js';
import { buildRecordBatch, decodeRecords, iterateBatches } from '../../protocol/record-batch.js';
import type { PartitionHandle, TopicStore } from '../topic-store.js';
import { controlRecordCommits } from '../txn/transaction-log-format.js';
import type { BrokerGroupsOptions } from './config.js';
import { GroupCoordinator } from './coordinator.js';
import type { AppendToOffsetsTopic, OffsetsTopicLog, StoredOffsetsTopicRecord } from './offsets-topic.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

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
class TopicStoreOffsetsLog implements OffsetsTopicLog {
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

  readonly append: AppendToOffsetsTopic = async (partition, records, timestamp, txn) => {
    const batch = await buildRecordBatch({
      records: records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp ?? timestamp })),
      timestamp,
      ...(txn ? { producerId: txn.producerId, producerEpoch: txn.producerEpoch, transactional: true } : {}),
    });
    const { baseOffset } = await this.handle(partition).append(batch, { durable: true });
    return Number(baseOffset);
  };

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

interface BrokerGroupsHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: { registry: Registry };
  registerInternalTopic(name: string): void;
}

/**
 * Creates `__consumer_offsets` if needed and replays it into a coordinator. Called by the broker once
 * its logs are open and before it listens; the broker then registers the group APIs (`groupHandlers`).
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
  checkNumber('groups.offsetsTopicPartitions', offsetsTopicPartitions, { integer: true, min: 1 });
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
  return coordinator;
}
