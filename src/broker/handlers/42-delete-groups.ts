import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../protocol/apis/42-delete-groups.js';
import { DeleteGroupsApi } from '../../protocol/apis/42-delete-groups.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayGroup, Op } from '../auth/authorize.js';
import type { GroupCoordinator } from '../groups/coordinator.js';

/** DeleteGroups 0-2: removes empty groups with their offsets (tombstones in `__consumer_offsets`). */
export function deleteGroupsHandler(
  groups: GroupCoordinator,
): ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> {
  return {
    ...serves(DeleteGroupsApi, 0, 2),
    async handle(request, ctx) {
      const results = [];
      for (const groupId of request.groupsNames) {
        const errorCode = mayGroup(ctx, Op.DELETE, groupId)
          ? await groups.deleteGroup(groupId)
          : ErrorCode.GROUP_AUTHORIZATION_FAILED;
        results.push({ groupId, errorCode });
      }
      return { throttleTimeMs: 0, results };
    },
  };
}
