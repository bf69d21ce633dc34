import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/apis/09-offset-fetch.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { ApiHandler } from '../handler.js';

/**
 * OffsetFetch 0-5. Partitions without a commit answer offset -1. From v2 a null topic list asks for
 * every committed partition, and group-level errors move to the top-level error code; before v2 they
 * are reported on each partition.
 */
export function offsetFetchHandler(
  groups: GroupCoordinator,
): ApiHandler<OffsetFetchRequest, OffsetFetchResponse> {
  return {
    apiKey: 9,
    name: 'OffsetFetch',
    minVersion: 0,
    maxVersion: 5,
    handle(request, ctx) {
      const topics = request.topics === undefined ? [] : request.topics;
      const result = groups.fetchOffsets({ groupId: request.groupId ?? '', topics });
      const perPartitionError = ctx.apiVersion < 2 ? result.errorCode : ErrorCode.NONE;
      const asked =
        result.errorCode !== ErrorCode.NONE && topics !== null
          ? topics.map((t) => ({
              name: t.name,
              partitions: t.partitionIndexes.map((p) => ({
                partitionIndex: p,
                committedOffset: -1,
                committedLeaderEpoch: -1,
                metadata: '',
                errorCode: perPartitionError,
              })),
            }))
          : result.topics;
      return {
        throttleTimeMs: 0,
        errorCode: result.errorCode,
        topics: asked.map((t) => ({
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
    },
  };
}
