import type { DescribeAclsRequest, DescribeAclsResponse } from '../../protocol/apis/29-describe-acls.js';
import { DescribeAclsApi } from '../../protocol/apis/29-describe-acls.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { type AclBinding, AclOperation } from '../auth/acl.js';
import { aclRequestRefusal } from './refusals.js';

/** DescribeAcls 1-3: the bindings matching the filter, grouped by resource; needs DESCRIBE on the cluster. */
export const describeAclsHandler: ApiHandler<DescribeAclsRequest, DescribeAclsResponse> = {
  ...serves(DescribeAclsApi, 1, 3),
  handle(request, ctx) {
    const security = ctx.broker.security;
    const refused = aclRequestRefusal(ctx, AclOperation.DESCRIBE);
    if (refused) return { throttleTimeMs: 0, ...refused, resources: [] };
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      resources: groupByResource(security.acls.describe(request)),
    };
  },
};

function groupByResource(bindings: AclBinding[]): DescribeAclsResponse['resources'] {
  const out = new Map<string, DescribeAclsResponse['resources'][number]>();
  for (const b of bindings) {
    const key = `${b.resourceType}\u0000${b.patternType}\u0000${b.resourceName}`;
    let r = out.get(key);
    if (!r) {
      r = {
        resourceType: b.resourceType,
        resourceName: b.resourceName,
        patternType: b.patternType,
        acls: [],
      };
      out.set(key, r);
    }
    r.acls.push({
      principal: b.principal,
      host: b.host,
      operation: b.operation,
      permissionType: b.permissionType,
    });
  }
  return [...out.values()];
}
