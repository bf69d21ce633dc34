import type { DeleteAclsRequest, DeleteAclsResponse } from '../../protocol/apis/31-delete-acls.js';
import { DeleteAclsApi } from '../../protocol/apis/31-delete-acls.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { AclOperation } from '../auth/acl.js';
import { aclRequestRefusal } from './refusals.js';

/** DeleteAcls 1-3: removes what each filter matches and lists it; needs ALTER on the cluster. */
export const deleteAclsHandler: ApiHandler<DeleteAclsRequest, DeleteAclsResponse> = {
  ...serves(DeleteAclsApi, 1, 3),
  async handle(request, ctx) {
    const security = ctx.broker.security;
    const refused = aclRequestRefusal(ctx, AclOperation.ALTER);
    if (refused)
      return {
        throttleTimeMs: 0,
        filterResults: request.filters.map(() => ({ ...refused, matchingAcls: [] })),
      };
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
