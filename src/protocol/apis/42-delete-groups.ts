// DeleteGroups (API key 42): delete consumer groups.
// Described from Kafka's DeleteGroupsRequest/DeleteGroupsResponse message definitions.
import { defineApi, f } from '../schema.js';

export interface DeleteGroupsRequest {
  groupsNames: string[];
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: Array<{ groupId: string; errorCode: number }>;
}

export const DeleteGroupsApi = defineApi<DeleteGroupsRequest, DeleteGroupsResponse>({
  key: 42,
  name: 'DeleteGroups',
  versions: '0-2',
  flexible: '2+',
  request: [f('groupsNames', '[]string', '0+')],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('results', '[]struct', '0+', { fields: [f('groupId', 'string', '0+'), f('errorCode', 'int16', '0+')] }),
  ],
});
