import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../../protocol/apis/47-offset-delete.js';
import { OffsetDeleteApi } from '../../protocol/apis/47-offset-delete.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayGroup, mayTopic, Op } from '../auth/authorize.js';
import type { GroupCoordinator } from '../groups/coordinator.js';

/**
 * OffsetDelete 0 (kafka-consumer-groups --delete-offsets): drops a group's committed offsets for the
 * partitions named, except those of topics an active member subscribes to (GROUP_SUBSCRIBED_TO_TOPIC)
 * and of unknown topics (UNKNOWN_TOPIC_OR_PARTITION).
 */
export function offsetDeleteHandler(
  groups: GroupCoordinator,
): ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> {
  return {
    ...serves(OffsetDeleteApi, 0, 0),
    async handle(request, ctx) {
      if (!mayGroup(ctx, Op.DELETE, request.groupId)) {
        return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
      }
      const readable = (name: string) => mayTopic(ctx, Op.READ, name);
      // As Kafka: unknown topics are answered first, and only the rest reach the coordinator.
      const known = request.topics.filter(
        (t) => readable(t.name) && ctx.broker.store.partitionCount(t.name) !== undefined,
      );
      const asked = known.flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })),
      );
      const { errorCode, results } = await groups.deleteOffsets(request.groupId, asked);
      if (errorCode !== ErrorCode.NONE) return { errorCode, throttleTimeMs: 0, topics: [] };
      const topics = request.topics.map((t) => ({
        name: t.name,
        partitions: known.includes(t)
          ? results
              .filter((r) => r.topic === t.name)
              .map((r) => ({ partitionIndex: r.partition, errorCode: r.errorCode }))
          : t.partitions.map((p) => ({
              partitionIndex: p.partitionIndex,
              errorCode: readable(t.name)
                ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            })),
      }));
      return { errorCode, throttleTimeMs: 0, topics };
    },
  };
}
