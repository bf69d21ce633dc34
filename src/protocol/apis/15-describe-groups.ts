// DescribeGroups (API key 15): state and members of groups.
// Described from Kafka's DescribeGroupsRequest/DescribeGroupsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const DescribeGroupsApi = defineApi({
  key: 15,
  name: 'DescribeGroups',
  versions: '0-5',
  flexible: '5+',
  request: [f('groups', '[]string', '0+'), f('includeAuthorizedOperations', 'bool', '3+')],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('groups', '[]struct', '0+', {
      fields: [
        f('errorCode', 'int16', '0+'),
        f('groupId', 'string', '0+'),
        f('groupState', 'string', '0+'),
        f('protocolType', 'string', '0+'),
        f('protocolData', 'string', '0+'),
        f('members', '[]struct', '0+', {
          fields: [
            f('memberId', 'string', '0+'),
            f('groupInstanceId', 'string', '4+', { nullable: '4+', default: null }),
            f('clientId', 'string', '0+'),
            f('clientHost', 'string', '0+'),
            f('memberMetadata', 'bytes', '0+'),
            f('memberAssignment', 'bytes', '0+'),
          ],
        }),
        f('authorizedOperations', 'int32', '3+', { default: -2147483648 }),
      ],
    }),
  ],
});

export type DescribeGroupsRequest = RequestOf<typeof DescribeGroupsApi>;
export type DescribeGroupsResponse = ResponseOf<typeof DescribeGroupsApi>;
