import type { DeleteRecordsRequest, DeleteRecordsResponse } from '../../protocol/apis/21-delete-records.js';
import { DeleteRecordsApi } from '../../protocol/apis/21-delete-records.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, type RequestContext, serves } from '../api-handler.js';
import { mayTopic, Op } from '../auth/authorize.js';
import { TopicStoreError } from '../topic-store.js';

type PartitionResult = DeleteRecordsResponse['topics'][number]['partitions'][number];

/** Kafka's "up to the high watermark" offset (DeleteRecordsRequest.HIGH_WATERMARK). */
const HIGH_WATERMARK = -1n;

/**
 * DeleteRecords 0-2: moves each partition's log start offset to the offset asked for (-1: the high
 * watermark) and drops the segments wholly before it. Storage persists the new start, so ListOffsets
 * earliest and Fetch honour it after a restart too. The answer's low watermark is the new log start.
 */
export const deleteRecordsHandler: ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> = {
  ...serves(DeleteRecordsApi, 0, 2),
  async handle(request, ctx) {
    const topics: DeleteRecordsResponse['topics'] = [];
    for (const t of request.topics) {
      const partitions: PartitionResult[] = [];
      for (const p of t.partitions)
        partitions.push(await deleteBefore(ctx, t.name, p.partitionIndex, p.offset));
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
};

async function deleteBefore(
  ctx: RequestContext,
  topic: string,
  partitionIndex: number,
  offset: bigint,
): Promise<PartitionResult> {
  const failed = (errorCode: number) => ({ partitionIndex, lowWatermark: -1n, errorCode });
  // Kafka's ReplicaManager refuses internal topics (InvalidTopicException): the coordinator replays
  // __consumer_offsets from its start, so trimming it would lose committed offsets.
  if (!mayTopic(ctx, Op.DELETE, topic)) return failed(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  if (ctx.broker.isInternalTopic(topic)) return failed(ErrorCode.INVALID_TOPIC_EXCEPTION);
  const log = ctx.broker.store.partition(topic, partitionIndex);
  if (!log) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    const target = offset === HIGH_WATERMARK ? log.highWatermark : offset;
    return { partitionIndex, lowWatermark: await log.deleteRecordsBefore(target), errorCode: 0 };
  } catch (err) {
    if (!(err instanceof TopicStoreError)) throw err;
    return failed(err.errorCode);
  }
}
