import type { SyncGroupRequest, SyncGroupResponse } from '../../protocol/apis/14-sync-group.js';
import { SyncGroupApi } from '../../protocol/apis/14-sync-group.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayGroup, Op } from '../auth/authorize.js';
import type { GroupCoordinator } from '../groups/coordinator.js';

/**
 * SyncGroup 0-5 (v5 checks the protocol type and name). The leader brings every member's assignment; followers wait for theirs, which
 * arrives once the group metadata (with assignments) is durable in `__consumer_offsets`.
 */
export function syncGroupHandler(groups: GroupCoordinator): ApiHandler<SyncGroupRequest, SyncGroupResponse> {
  return {
    ...serves(SyncGroupApi, 0, 5),
    async handle(request, ctx) {
      if (!mayGroup(ctx, Op.READ, request.groupId)) {
        const errorCode = ErrorCode.GROUP_AUTHORIZATION_FAILED;
        return {
          throttleTimeMs: 0,
          errorCode,
          protocolType: null,
          protocolName: null,
          assignment: Buffer.alloc(0),
        };
      }
      const r = await groups.syncGroup({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId ?? null,
        protocolType: request.protocolType ?? null,
        protocolName: request.protocolName ?? null,
        assignments: request.assignments,
      });
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        protocolType: r.protocolType,
        protocolName: r.protocolName,
        assignment: r.assignment,
      };
    },
  };
}
