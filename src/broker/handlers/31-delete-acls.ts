import type { DeleteAclsRequest, DeleteAclsResponse } from '../../protocol/apis/31-delete-acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler } from '../api-handler.js';
import { AclOperation, CLUSTER_RESOURCE, ResourceType } from '../auth/acl.js';
import { NO_AUTHORIZER } from './29-describe-acls.js';

/** DeleteAcls 1-3: removes what each filter matches and lists it; needs ALTER on the cluster. */
export const deleteAclsHandler: ApiHandler<DeleteAclsRequest, DeleteAclsResponse> = {
  apiKey: 31,
  name: 'DeleteAcls',
  minVersion: 1,
  maxVersion: 3,
  async handle(request, ctx) {
    const security = ctx.broker.security;
    const all = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      filterResults: request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
    });
    if (!security.authorizerEnabled) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
    if (!security.authorize(ctx.connection, AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_RESOURCE)) {
      return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    }
    const removed = await security.acls.remove(request.filters);
    return {
      throttleTimeMs: 0,
      filterResults: removed.map((bindings) => ({
        errorCode: 0,
        errorMessage: null,
        matchingAcls: bindings.map((b) => ({ errorCode: 0, errorMessage: null, ...b })),
      })),
    };
  },
};
