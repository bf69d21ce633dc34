// CreateAcls (API key 30): add ACL bindings.
// Described from Kafka's CreateAclsRequest/CreateAclsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const CreateAclsApi = defineApi({
  key: 30,
  name: 'CreateAcls',
  versions: '0-3',
  flexible: '2+',
  request: [
    f('creations', '[]struct', '0+', {
      fields: [
        f('resourceType', 'int8', '0+'),
        f('resourceName', 'string', '0+'),
        f('resourcePatternType', 'int8', '1+', { default: 3 }),
        f('principal', 'string', '0+'),
        f('host', 'string', '0+'),
        f('operation', 'int8', '0+'),
        f('permissionType', 'int8', '0+'),
      ],
    }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('results', '[]struct', '0+', {
      fields: [f('errorCode', 'int16', '0+'), f('errorMessage', 'string', '0+', { nullable: '0+' })],
    }),
  ],
});

export type CreateAclsRequest = RequestOf<typeof CreateAclsApi>;
export type CreateAclsResponse = ResponseOf<typeof CreateAclsApi>;
export type AclCreation = CreateAclsRequest['creations'][number];
