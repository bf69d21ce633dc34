import type { ListGroupsRequest, ListGroupsResponse } from '../../protocol/apis/16-list-groups.js';
import { ListGroupsApi } from '../../protocol/apis/16-list-groups.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayCluster, mayGroup, Op } from '../auth/authorize.js';
import type { GroupCoordinator } from '../groups/coordinator.js';

/** ListGroups 0-5: every group this coordinator knows, Dead ones excluded; v4 filters by state, v5 by type. */
export function listGroupsHandler(
  groups: GroupCoordinator,
): ApiHandler<ListGroupsRequest, ListGroupsResponse> {
  return {
    ...serves(ListGroupsApi, 0, 5),
    handle(request, ctx) {
      // Every group here is a classic group.
      const types = (request.typesFilter ?? []).map((t) => t.toLowerCase());
      const listed =
        types.length === 0 || types.includes('classic') ? groups.listGroups(request.statesFilter ?? []) : [];
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        // Without DESCRIBE on the cluster, only the groups the principal may describe (Kafka's rule).
        groups: listed
          .filter((g) => mayCluster(ctx, Op.DESCRIBE) || mayGroup(ctx, Op.DESCRIBE, g.groupId))
          .map((g) => ({ ...g, groupType: 'classic' })),
      };
    },
  };
}
