import type { ListOffsetsRequest, ListOffsetsResponse } from '../../protocol/apis/02-list-offsets.js';
import { ListOffsetsApi } from '../../protocol/apis/02-list-offsets.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayTopic, Op } from '../auth/authorize.js';
import type { PartitionHandle } from '../topic-store.js';

type PartitionResult = ListOffsetsResponse['topics'][number]['partitions'][number];

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;

/**
 * Special timestamps with the version that introduced each (max timestamp KIP-734, earliest local and
 * latest tiered KIP-405, earliest pending upload KIP-1023). Kafka answers UNSUPPORTED_VERSION for them at
 * older versions instead of reading them as a time; the last three are beyond the versions we serve.
 */
const NEWER_SPECIALS: ReadonlyMap<bigint, number> = new Map([
  [-3n, 7],
  [-4n, 8],
  [-5n, 9],
  [-6n, 11],
]);

/**
 * ListOffsets 0-7: latest (-1) is the high watermark, or the last stable offset for read_committed
 * (isolation level 1, v2+), earliest (-2) the log start offset, max timestamp (-3, v7, kafka-get-offsets --time
 * max-timestamp) the first record with the largest timestamp, otherwise the first offset whose timestamp is at
 * or after the one asked for (-1 when none, with leader epoch -1 as in Kafka). v0 answers with a list of offsets (Burrow and sarama need
 * exactly one entry for max_num_offsets 1).
 */
export const listOffsetsHandler: ApiHandler<ListOffsetsRequest, ListOffsetsResponse> = {
  ...serves(ListOffsetsApi, 0, 7),
  async handle(request, ctx) {
    const v0 = ctx.apiVersion === 0;
    const topics = await Promise.all(
      request.topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitions.map(async (p): Promise<PartitionResult> => {
            if (!mayTopic(ctx, Op.DESCRIBE, topic.name)) {
              return refused(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED, v0);
            }
            const log = ctx.broker.store.partition(topic.name, p.partitionIndex);
            if (!log) return refused(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, v0);
            if ((NEWER_SPECIALS.get(p.timestamp) ?? 0) > ctx.apiVersion) {
              return refused(p.partitionIndex, ErrorCode.UNSUPPORTED_VERSION, v0);
            }
            const latest =
              request.isolationLevel === 1
                ? ctx.broker.producers.lastStableOffset(topic.name, p.partitionIndex, log.highWatermark)
                : log.highWatermark;
            const found = await lookup(log, p.timestamp, latest);
            if (v0) {
              return {
                partitionIndex: p.partitionIndex,
                errorCode: 0,
                oldStyleOffsets: oldStyle(log, p.timestamp, found, p.maxNumOffsets ?? 1),
              };
            }
            return {
              partitionIndex: p.partitionIndex,
              errorCode: 0,
              timestamp: found.timestamp,
              offset: found.offset,
              leaderEpoch: found.offset >= 0n ? 0 : -1,
            };
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
};

function refused(partitionIndex: number, errorCode: number, v0: boolean): PartitionResult {
  return v0
    ? { partitionIndex, errorCode, oldStyleOffsets: [] }
    : { partitionIndex, errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
}

async function lookup(
  log: PartitionHandle,
  timestamp: bigint,
  latest: bigint,
): Promise<{ offset: bigint; timestamp: bigint }> {
  if (timestamp === LATEST) return { offset: latest, timestamp: -1n };
  if (timestamp === EARLIEST) return { offset: log.logStartOffset, timestamp: -1n };
  if (timestamp === MAX_TIMESTAMP) return (await log.maxTimestampRecord()) ?? { offset: -1n, timestamp: -1n };
  return (await log.offsetForTimestamp(timestamp)) ?? { offset: -1n, timestamp: -1n };
}

/**
 * v0's offset list: Kafka lists segment start offsets newest first, led by the high watermark for
 * "latest". We list the looked-up offset, then the log start when it differs, capped at
 * max_num_offsets (so exactly one entry for the usual max_num_offsets 1).
 */
function oldStyle(log: PartitionHandle, timestamp: bigint, found: { offset: bigint }, max: number): bigint[] {
  const offsets = found.offset >= 0n ? [found.offset] : timestamp >= 0n ? [log.highWatermark] : [];
  if (offsets.length > 0 && offsets[0] !== log.logStartOffset && timestamp !== EARLIEST)
    offsets.push(log.logStartOffset);
  return offsets.slice(0, Math.max(0, max));
}
