import type { CreateAclsRequest, CreateAclsResponse } from '../../protocol/apis/30-create-acls.js';
import { CreateAclsApi } from '../../protocol/apis/30-create-acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { type AclBinding, AclOperation, bindingProblem, PatternType } from '../auth/acl.js';
import { aclRequestRefusal } from './refusals.js';

/** CreateAcls 1-3: stores the bindings (persisted in the data dir); needs ALTER on the cluster. */
export const createAclsHandler: ApiHandler<CreateAclsRequest, CreateAclsResponse> = {
  ...serves(CreateAclsApi, 1, 3),
  async handle(request, ctx) {
    const security = ctx.broker.security;
    const refused = aclRequestRefusal(ctx, AclOperation.ALTER);
    if (refused) return { throttleTimeMs: 0, results: request.creations.map(() => refused) };
    const valid: AclBinding[] = [];
    const results = request.creations.map((c) => {
      const binding: AclBinding = {
        resourceType: c.resourceType,
        resourceName: c.resourceName,
        patternType: c.resourcePatternType ?? PatternType.LITERAL,
        principal: c.principal,
        host: c.host,
        operation: c.operation,
        permissionType: c.permissionType,
      };
      const problem = bindingProblem(binding);
      if (problem) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem };
      valid.push(binding);
      return { errorCode: ErrorCode.NONE, errorMessage: null };
    });
    await security.acls.add(valid);
    if (valid.length > 0)
      ctx.broker.log.info(
        { acls: valid.length, by: security.session(ctx.connection).principal },
        'ACLs created',
      );
    return { throttleTimeMs: 0, results };
  },
};
