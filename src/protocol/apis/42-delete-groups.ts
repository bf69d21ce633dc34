// DeleteGroups (API key 42): delete consumer groups.
// Described from Kafka's DeleteGroupsRequest/DeleteGroupsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const DeleteGroupsApi = defineApi({
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

export type DeleteGroupsRequest = RequestOf<typeof DeleteGroupsApi>;
export type DeleteGroupsResponse = ResponseOf<typeof DeleteGroupsApi>;
