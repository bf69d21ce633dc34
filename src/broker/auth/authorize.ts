import { ErrorCode } from '../../protocol/errors.js';
import type { RequestContext } from '../api-handler.js';
import { AclOperation, CLUSTER_RESOURCE, ResourceType } from './acl.js';

/**
 * The questions handlers ask the authorizer, named as Kafka's KafkaApis asks them. Every answer is yes
 * when no authorizer is configured.
 */

export { AclOperation as Op };

export function mayTopic(ctx: RequestContext, operation: number, topic: string): boolean {
  return ctx.broker.security.authorize(ctx.connection, operation, ResourceType.TOPIC, topic);
}

export function mayGroup(ctx: RequestContext, operation: number, groupId: string): boolean {
  return ctx.broker.security.authorize(ctx.connection, operation, ResourceType.GROUP, groupId);
}

export function mayCluster(ctx: RequestContext, operation: number): boolean {
  return ctx.broker.security.authorize(ctx.connection, operation, ResourceType.CLUSTER, CLUSTER_RESOURCE);
}

export function mayTransactionalId(ctx: RequestContext, operation: number, id: string): boolean {
  return ctx.broker.security.authorize(ctx.connection, operation, ResourceType.TRANSACTIONAL_ID, id);
}

/** Creating a topic: CREATE on the cluster, or on the topic itself. */
export function mayCreateTopic(ctx: RequestContext, topic: string): boolean {
  return mayCluster(ctx, AclOperation.CREATE) || mayTopic(ctx, AclOperation.CREATE, topic);
}

/** An idempotent producer id: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (KIP-679). */
export function mayWriteIdempotently(ctx: RequestContext): boolean {
  return (
    mayCluster(ctx, AclOperation.IDEMPOTENT_WRITE) ||
    ctx.broker.security.authorizeAny(ctx.connection, AclOperation.WRITE, ResourceType.TOPIC)
  );
}

/** Kafka's ConfigResource types that name a topic or a broker (the cluster). */
const CONFIG_TOPIC = 2;

/**
 * DescribeConfigs / AlterConfigs on a config resource: the error Kafka answers when the principal lacks
 * `operation` (DESCRIBE_CONFIGS or ALTER_CONFIGS) on the topic, or on the cluster for broker configs;
 * null when allowed.
 */
export function configDenied(
  ctx: RequestContext,
  operation: number,
  type: number,
  name: string,
): number | null {
  if (type === CONFIG_TOPIC)
    return mayTopic(ctx, operation, name) ? null : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  return mayCluster(ctx, operation) ? null : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}
