// DescribeAcls (API key 29): list the ACLs matching a filter.
// Described from Kafka's DescribeAclsRequest/DescribeAclsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf, type StructOf } from '../schema.js';

/** The filter fields, shared with DeleteAcls' filters. */
export const aclFilterFields = [
  f('resourceTypeFilter', 'int8', '0+'),
  f('resourceNameFilter', 'string', '0+', { nullable: '0+' }),
  f('patternTypeFilter', 'int8', '1+', { default: 3 }),
  f('principalFilter', 'string', '0+', { nullable: '0+' }),
  f('hostFilter', 'string', '0+', { nullable: '0+' }),
  f('operation', 'int8', '0+'),
  f('permissionType', 'int8', '0+'),
];

export const DescribeAclsApi = defineApi({
  key: 29,
  name: 'DescribeAcls',
  versions: '0-3',
  flexible: '2+',
  request: aclFilterFields,
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('resources', '[]struct', '0+', {
      fields: [
        f('resourceType', 'int8', '0+'),
        f('resourceName', 'string', '0+'),
        f('patternType', 'int8', '1+', { default: 3 }),
        f('acls', '[]struct', '0+', {
          fields: [
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

export type DescribeAclsRequest = RequestOf<typeof DescribeAclsApi>;
export type DescribeAclsResponse = ResponseOf<typeof DescribeAclsApi>;

/** A filter over ACL bindings; null strings and the ANY codes match everything (v0 filters are LITERAL). */
export type AclBindingFilter = StructOf<typeof aclFilterFields>;
