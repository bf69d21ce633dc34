import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/apis/09-offset-fetch.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler } from '../api-handler.js';
import type { GroupCoordinator } from '../groups/coordinator.js';

type Topics = Array<{ name: string; partitionIndexes: number[] }> | null;

/**
 * OffsetFetch 0-9. Partitions without a commit answer offset -1. From v2 a null topic list asks for
 * every committed partition and group-level errors move to the top-level error code (before v2 they
 * are reported on each partition); v8+ ask for several groups at once.
 */
export function offsetFetchHandler(
  groups: GroupCoordinator,
): ApiHandler<OffsetFetchRequest, OffsetFetchResponse> {
  function fetch(groupId: string, topics: Topics, perPartitionErrors: boolean) {
    const result = groups.fetchOffsets({ groupId, topics });
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
            ...fetch(g.groupId, g.topics, false),
          })),
        };
      }
      const topics = request.topics === undefined ? [] : request.topics;
      return { throttleTimeMs: 0, ...fetch(request.groupId ?? '', topics, ctx.apiVersion < 2) };
    },
  };
}
