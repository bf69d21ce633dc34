import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/apis/09-offset-fetch.js';
import { ErrorCode, type ErrorCodeValue } from '../../protocol/errors.js';
import type { ApiHandler, RequestContext } from '../api-handler.js';
import { mayGroup, mayTopic, Op } from '../auth/authorize.js';
import type { GroupCoordinator } from '../groups/coordinator.js';

type OffsetFetchResult = ReturnType<GroupCoordinator['fetchOffsets']>;

type Topics = Array<{ name: string; partitionIndexes: number[] }> | null;

/**
 * OffsetFetch 0-9. Partitions without a commit answer offset -1. From v2 a null topic list asks for
 * every committed partition and group-level errors move to the top-level error code (before v2 they
 * are reported on each partition); v8+ ask for several groups at once.
 */
export function offsetFetchHandler(
  groups: GroupCoordinator,
): ApiHandler<OffsetFetchRequest, OffsetFetchResponse> {
  return {
    apiKey: 9,
    name: 'OffsetFetch',
    minVersion: 0,
    maxVersion: 9,
    handle(request, ctx) {
      if (ctx.apiVersion >= 8) {
        return {
          throttleTimeMs: 0,
          groups: (request.groups ?? []).map((g) => ({
            groupId: g.groupId,
            ...fetchGroupOffsets(groups, g.groupId, g.topics, false, ctx),
          })),
        };
      }
      const topics = request.topics === undefined ? [] : request.topics;
      return {
        throttleTimeMs: 0,
        ...fetchGroupOffsets(groups, request.groupId ?? '', topics, ctx.apiVersion < 2, ctx),
      };
    },
  };
}

/**
 * One group's committed offsets in the response's shape. A group-level error answers every named
 * partition with offset -1, carrying the error on each partition only when `perPartitionErrors` (before v2).
 */
function fetchGroupOffsets(
  groups: GroupCoordinator,
  groupId: string,
  topics: Topics,
  perPartitionErrors: boolean,
  ctx: RequestContext,
) {
  const result = authorizedFetch(groups, groupId, topics, ctx);
  const failed = result.errorCode !== ErrorCode.NONE;
  const source =
    failed && topics !== null
      ? topics.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((p) => ({
            partitionIndex: p,
            committedOffset: -1,
            committedLeaderEpoch: -1,
            metadata: '',
            errorCode: perPartitionErrors ? result.errorCode : ErrorCode.NONE,
          })),
        }))
      : result.topics;
  return {
    errorCode: result.errorCode,
    topics: source.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        committedOffset: BigInt(p.committedOffset),
        committedLeaderEpoch: p.committedLeaderEpoch,
        metadata: p.metadata,
        errorCode: p.errorCode,
      })),
    })),
  };
}

/**
 * Kafka: DESCRIBE on the group, else GROUP_AUTHORIZATION_FAILED; topics the principal may not describe
 * are TOPIC_AUTHORIZATION_FAILED when named, and left out when all committed offsets are asked for.
 */
function authorizedFetch(
  groups: GroupCoordinator,
  groupId: string,
  topics: Topics,
  ctx: RequestContext,
): OffsetFetchResult {
  if (!mayGroup(ctx, Op.DESCRIBE, groupId))
    return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  const visible = (name: string) => mayTopic(ctx, Op.DESCRIBE, name);
  const asked = topics === null ? null : topics.filter((t) => visible(t.name));
  const result = groups.fetchOffsets({ groupId, topics: asked });
  if (result.errorCode !== ErrorCode.NONE) return result;
  const refused = (topics ?? [])
    .filter((t) => !visible(t.name))
    .map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => ({
        partitionIndex,
        committedOffset: -1,
        committedLeaderEpoch: -1,
        metadata: '',
        errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED as ErrorCodeValue,
      })),
    }));
  return {
    errorCode: result.errorCode,
    topics: [...result.topics.filter((t) => visible(t.name)), ...refused],
  };
}
