import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/apis/08-offset-commit.js';
import { OffsetCommitApi } from '../../protocol/apis/08-offset-commit.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayGroup, mayTopic, Op } from '../auth/authorize.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import { refusePartitions } from './refusals.js';

/**
 * OffsetCommit 0-9 (flexible from 8; v9's member epoch is a classic group's generation). Group members commit with their generation and member id; standalone consumers
 * (and v0) commit with generation -1. The response waits until the offsets record is durable in
 * `__consumer_offsets`.
 */
export function offsetCommitHandler(
  groups: GroupCoordinator,
): ApiHandler<OffsetCommitRequest, OffsetCommitResponse> {
  return {
    ...serves(OffsetCommitApi, 0, 9),
    async handle(request, ctx) {
      // Kafka: READ on the group, else every partition is refused; READ on each topic, else its partitions.
      if (!mayGroup(ctx, Op.READ, request.groupId)) {
        return {
          throttleTimeMs: 0,
          topics: refusePartitions(request.topics, ErrorCode.GROUP_AUTHORIZATION_FAILED),
        };
      }
      const denied = request.topics.filter((t) => !mayTopic(ctx, Op.READ, t.name));
      const retention = request.retentionTimeMs === undefined ? -1 : Number(request.retentionTimeMs);
      const result = await groups.commitOffsets({
        groupId: request.groupId,
        generationId: request.generationIdOrMemberEpoch ?? -1,
        memberId: request.memberId ?? '',
        groupInstanceId: request.groupInstanceId ?? null,
        retentionTimeMs: retention,
        topics: request.topics
          .filter((t) => !denied.includes(t))
          .map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({
              ...committedPartition(p),
              commitTimestamp: p.commitTimestamp === undefined ? -1 : Number(p.commitTimestamp),
            })),
          })),
      });
      const refused = refusePartitions(denied, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      return { throttleTimeMs: 0, topics: [...result.topics, ...refused] };
    },
  };
}

/** A partition of an (Txn)OffsetCommit request as the coordinator takes it: -1 for "no leader epoch". */
export function committedPartition(p: {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch?: number;
  committedMetadata: string | null;
}) {
  return {
    partitionIndex: p.partitionIndex,
    committedOffset: Number(p.committedOffset),
    committedLeaderEpoch: p.committedLeaderEpoch ?? -1,
    committedMetadata: p.committedMetadata,
  };
}
