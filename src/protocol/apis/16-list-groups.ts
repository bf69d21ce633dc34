// ListGroups (API key 16): groups known to a broker.
// Described from Kafka's ListGroupsRequest/ListGroupsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const ListGroupsApi = defineApi({
  key: 16,
  name: 'ListGroups',
  versions: '0-5',
  flexible: '3+',
  request: [f('statesFilter', '[]string', '4+'), f('typesFilter', '[]string', '5+')],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0+'),
    f('groups', '[]struct', '0+', {
      fields: [
        f('groupId', 'string', '0+'),
        f('protocolType', 'string', '0+'),
        f('groupState', 'string', '4+'),
        f('groupType', 'string', '5+'),
      ],
    }),
  ],
});

export type ListGroupsRequest = RequestOf<typeof ListGroupsApi>;
export type ListGroupsResponse = ResponseOf<typeof ListGroupsApi>;
