import type { HeartbeatRequest, HeartbeatResponse } from '../../protocol/apis/12-heartbeat.js';
import { HeartbeatApi } from '../../protocol/apis/12-heartbeat.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayGroup, Op } from '../auth/authorize.js';
import type { GroupCoordinator } from '../groups/coordinator.js';

/** Heartbeat 0-4: keeps the member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin. */
export function heartbeatHandler(groups: GroupCoordinator): ApiHandler<HeartbeatRequest, HeartbeatResponse> {
  return {
    ...serves(HeartbeatApi, 0, 4),
    handle(request, ctx) {
      if (!mayGroup(ctx, Op.READ, request.groupId)) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
      }
      const errorCode = groups.heartbeat({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId ?? null,
      });
      return { throttleTimeMs: 0, errorCode };
    },
  };
}
