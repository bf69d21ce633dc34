import { ErrorCode } from '../../protocol/errors.js';
import type { RequestContext } from '../api-handler.js';
import { CLUSTER_RESOURCE, ResourceType } from '../auth/acl.js';

/**
 * Refusals that several handlers answer the same way, so each is worded once. Not an API of its own:
 * the numbered files beside it are.
 */

/** The answer Kafka gives to an ACL request when no authorizer is configured. */
export const NO_AUTHORIZER = 'No Authorizer is configured on the broker';

/**
 * Why an ACL request (DescribeAcls, CreateAcls, DeleteAcls) is refused, as Kafka checks it: no
 * authorizer (SECURITY_DISABLED), then `operation` on the cluster; undefined when it may go ahead.
 */
export function aclRequestRefusal(
  ctx: RequestContext,
  operation: number,
): { errorCode: number; errorMessage: string } | undefined {
  const security = ctx.broker.security;
  if (!security.authorizerEnabled)
    return { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER };
  if (!security.authorize(ctx.connection, operation, ResourceType.CLUSTER, CLUSTER_RESOURCE))
    return {
      errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      errorMessage: 'Cluster authorization failed.',
    };
  return undefined;
}

/** Every partition of `topics` answered with `errorCode` (an offset commit refused by topic or group). */
export function refusePartitions(
  topics: ReadonlyArray<{ name: string; partitions: ReadonlyArray<{ partitionIndex: number }> }>,
  errorCode: number,
): Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  }));
}
