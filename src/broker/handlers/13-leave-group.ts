import type { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/apis/13-leave-group.js';
import { LeaveGroupApi } from '../../protocol/apis/13-leave-group.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayGroup, Op } from '../auth/authorize.js';
import type { GroupCoordinator } from '../groups/coordinator.js';

/** LeaveGroup 0-5: v0-2 name one member and report its error at the top; v3+ take a batch. */
export function leaveGroupHandler(
  groups: GroupCoordinator,
): ApiHandler<LeaveGroupRequest, LeaveGroupResponse> {
  return {
    ...serves(LeaveGroupApi, 0, 5),
    handle(request, ctx) {
      const batched = ctx.apiVersion >= 3;
      if (!mayGroup(ctx, Op.READ, request.groupId)) {
        const errorCode = ErrorCode.GROUP_AUTHORIZATION_FAILED;
        return batched ? { throttleTimeMs: 0, errorCode, members: [] } : { throttleTimeMs: 0, errorCode };
      }
      const members = batched
        ? (request.members ?? []).map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
        : [{ memberId: request.memberId ?? '', groupInstanceId: null }];
      const r = groups.leaveGroup({ groupId: request.groupId, members });
      if (batched) return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
      return { throttleTimeMs: 0, errorCode: r.errorCode || (r.members[0]?.errorCode ?? 0) };
    },
  };
}
