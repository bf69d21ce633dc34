import type {
  DescribeGroupsRequest,
  DescribeGroupsResponse,
} from '../../protocol/apis/15-describe-groups.js';
import { DescribeGroupsApi } from '../../protocol/apis/15-describe-groups.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayGroup, Op } from '../auth/authorize.js';
import type { GroupCoordinator } from '../groups/coordinator.js';

/** Kafka's "authorized operations not requested" marker (INT32_MIN). */
const OPS_NOT_REQUESTED = -2147483648;

/**
 * DescribeGroups 0-5. Unknown groups are reported as state Dead without an error, as Kafka does;
 * member metadata and assignments are only filled in while the group is Stable.
 */
export function describeGroupsHandler(
  groups: GroupCoordinator,
): ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> {
  return {
    ...serves(DescribeGroupsApi, 0, 5),
    handle(request, ctx) {
      return {
        throttleTimeMs: 0,
        groups: request.groups.map((id) => ({
          ...(mayGroup(ctx, Op.DESCRIBE, id) ? groups.describeGroup(id) : refusedGroup(id)),
          authorizedOperations: OPS_NOT_REQUESTED,
        })),
      };
    },
  };
}

function refusedGroup(groupId: string) {
  const errorCode = ErrorCode.GROUP_AUTHORIZATION_FAILED;
  return { errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
}
