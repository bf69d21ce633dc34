// DeleteAcls (API key 31): remove the ACL bindings matching each filter.
// Described from Kafka's DeleteAclsRequest/DeleteAclsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';
import { aclFilterFields } from './29-describe-acls.js';

export const DeleteAclsApi = defineApi({
  key: 31,
  name: 'DeleteAcls',
  versions: '0-3',
  flexible: '2+',
  request: [f('filters', '[]struct', '0+', { fields: aclFilterFields })],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('filterResults', '[]struct', '0+', {
      fields: [
        f('errorCode', 'int16', '0+'),
        f('errorMessage', 'string', '0+', { nullable: '0+' }),
        f('matchingAcls', '[]struct', '0+', {
          fields: [
            f('errorCode', 'int16', '0+'),
            f('errorMessage', 'string', '0+', { nullable: '0+' }),
            f('resourceType', 'int8', '0+'),
            f('resourceName', 'string', '0+'),
            f('patternType', 'int8', '1+', { default: 3 }),
            f('principal', 'string', '0+'),
            f('host', 'string', '0+'),
            f('operation', 'int8', '0+'),
            f('permissionType', 'int8', '0+'),
          ],
        }),
      ],
    }),
  ],
});

export type DeleteAclsRequest = RequestOf<typeof DeleteAclsApi>;
export type DeleteAclsResponse = ResponseOf<typeof DeleteAclsApi>;
export type DeleteAclsMatchingAcl = DeleteAclsResponse['filterResults'][number]['matchingAcls'][number];
