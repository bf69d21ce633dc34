import type { ListGroupsRequest, ListGroupsResponse } from '../../protocol/apis/16-list-groups.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { ApiHandler } from '../handler.js';

/** ListGroups 0-2: every group this coordinator knows, Dead ones excluded. */
export function listGroupsHandler(
  groups: GroupCoordinator,
): ApiHandler<ListGroupsRequest, ListGroupsResponse> {
  return {
    apiKey: 16,
    name: 'ListGroups',
    minVersion: 0,
    maxVersion: 2,
    handle(request) {
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        groups: groups.listGroups(request.statesFilter ?? []),
      };
    },
  };
}
