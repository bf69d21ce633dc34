import type { CreateAclsRequest, CreateAclsResponse } from '../../protocol/apis/30-create-acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler } from '../api-handler.js';
import {
  type AclBinding,
  AclOperation,
  bindingProblem,
  CLUSTER_RESOURCE,
  PatternType,
  ResourceType,
} from '../auth/acl.js';
import { NO_AUTHORIZER } from './29-describe-acls.js';

/** CreateAcls 1-3: stores the bindings (persisted in the data dir); needs ALTER on the cluster. */
export const createAclsHandler: ApiHandler<CreateAclsRequest, CreateAclsResponse> = {
  apiKey: 30,
  name: 'CreateAcls',
  minVersion: 1,
  maxVersion: 3,
  async handle(request, ctx) {
    const security = ctx.broker.security;
    const all = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      results: request.creations.map(() => ({ errorCode, errorMessage })),
    });
    if (!security.authorizerEnabled) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
    if (!security.authorize(ctx.connection, AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_RESOURCE)) {
      return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    }
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
