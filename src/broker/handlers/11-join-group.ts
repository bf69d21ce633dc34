import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/apis/11-join-group.js';
import { JoinGroupApi } from '../../protocol/apis/11-join-group.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayGroup, Op } from '../auth/authorize.js';
import { clientHostOf } from '../groups/client-host.js';
import { type GroupCoordinator, joinError } from '../groups/coordinator.js';

/**
 * JoinGroup 0-9 (flexible from 6). The answer waits until the rebalance completes (every member rejoined, or the
 * rebalance timeout passed), as Kafka's does. v0 has no rebalance timeout: the session timeout is used.
 */
export function joinGroupHandler(groups: GroupCoordinator): ApiHandler<JoinGroupRequest, JoinGroupResponse> {
  return {
    ...serves(JoinGroupApi, 0, 9),
    async handle(request, ctx) {
      const r = mayGroup(ctx, Op.READ, request.groupId)
        ? await groups.joinGroup({
            groupId: request.groupId,
            memberId: request.memberId,
            groupInstanceId: request.groupInstanceId ?? null,
            sessionTimeoutMs: request.sessionTimeoutMs,
            rebalanceTimeoutMs:
              request.rebalanceTimeoutMs !== undefined && request.rebalanceTimeoutMs >= 0
                ? request.rebalanceTimeoutMs
                : undefined,
            protocolType: request.protocolType,
            protocols: request.protocols,
            clientId: ctx.clientId ?? '',
            clientHost: clientHostOf(ctx.connection.remote),
            apiVersion: ctx.apiVersion,
          })
        : joinError(ErrorCode.GROUP_AUTHORIZATION_FAILED, request.memberId);
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        generationId: r.generationId,
        protocolType: r.protocolType,
        // Non-nullable before v7.
        protocolName: r.protocolName ?? (ctx.apiVersion >= 7 ? null : ''),
        skipAssignment: false,
        leader: r.leader,
        memberId: r.memberId,
        members: r.members,
      };
    },
  };
}
