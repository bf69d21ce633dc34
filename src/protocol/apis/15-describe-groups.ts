// DescribeGroups (API key 15): state and members of groups.
// Described from Kafka's DescribeGroupsRequest/DescribeGroupsResponse message definitions.
import { defineApi, f } from '../schema.js';

export interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations?: boolean;
}

export interface DescribeGroupsResponse {
  throttleTimeMs?: number;
  groups: Array<{
    errorCode: number;
    groupId: string;
    groupState: string;
    protocolType: string;
    protocolData: string;
    members: Array<{
      memberId: string;
      groupInstanceId?: string | null;
      clientId: string;
      clientHost: string;
      memberMetadata: Buffer;
      memberAssignment: Buffer;
    }>;
    authorizedOperations?: number;
  }>;
}

export const DescribeGroupsApi = defineApi<DescribeGroupsRequest, DescribeGroupsResponse>({
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
