import { MetadataApi, type MetadataRequest, type MetadataResponse } from '../../protocol/apis/03-metadata.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, type RequestContext, serves } from '../api-handler.js';
import { mayCreateTopic, mayTopic, Op } from '../auth/authorize.js';
import { topicNameProblem } from '../topic-names.js';

type TopicMetadata = MetadataResponse['topics'][number];

/** The cluster id Metadata and DescribeCluster report: one broker, one cluster, one name. */
export const CLUSTER_ID = 'sluice';

/** Kafka's "authorized operations not requested" marker (INT32_MIN). */
export const OPS_NOT_REQUESTED = -2147483648;

/**
 * Metadata 0-9 (v9, flexible, because @platformatic/kafka 1.x implements only Metadata 9+). We are the only broker, controller and leader of every partition. Topic list semantics
 * differ by version: v0's empty list means all topics, v1+ uses null for all and [] for none.
 * Auto-creation follows the broker setting, and from v4 also the client's allow_auto_topic_creation.
 */
export const metadataHandler: ApiHandler<MetadataRequest, MetadataResponse> = {
  ...serves(MetadataApi, 0, 9),
  async handle(request, ctx) {
    const { broker, apiVersion } = ctx;
    const { nodeId } = broker.config;
    const requested = request.topics;
    const all = requested === null || (apiVersion === 0 && requested.length === 0);
    // Listing every topic shows only those the principal may describe, as Kafka does.
    const names = all
      ? broker.store
          .topicNames()
          .sort()
          .filter((name) => mayTopic(ctx, Op.DESCRIBE, name))
      : requested.map((t) => t.name ?? '');
    const mayCreate =
      broker.config.autoCreateTopics && (apiVersion < 4 || request.allowAutoTopicCreation !== false);
    const topics: TopicMetadata[] = [];
    for (const name of names) topics.push(await describeTopic(name, !all && mayCreate, ctx));
    const { host, port } = broker.advertised(ctx.connection);
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId, host, port, rack: null }],
      clusterId: CLUSTER_ID,
      controllerId: nodeId,
      topics,
      clusterAuthorizedOperations: OPS_NOT_REQUESTED,
    };
  },
};

async function describeTopic(name: string, mayCreate: boolean, ctx: RequestContext): Promise<TopicMetadata> {
  const { broker } = ctx;
  const base = {
    name,
    isInternal: broker.isInternalTopic(name),
    topicAuthorizedOperations: OPS_NOT_REQUESTED,
  };
  if (!mayTopic(ctx, Op.DESCRIBE, name)) {
    return { ...base, isInternal: false, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, partitions: [] };
  }
  if (topicNameProblem(name) !== null) {
    return { ...base, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, partitions: [] };
  }
  let count = broker.store.partitionCount(name);
  if (count === undefined && mayCreate && mayCreateTopic(ctx, name) && (await broker.autoCreateTopic(name))) {
    count = broker.store.partitionCount(name);
  }
  if (count === undefined)
    return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partitions: [] };
  const nodeId = broker.config.nodeId;
  const partitions = Array.from({ length: count }, (_, partitionIndex) => ({
    errorCode: 0,
    partitionIndex,
    leaderId: nodeId,
    leaderEpoch: 0,
    replicaNodes: [nodeId],
    isrNodes: [nodeId],
    offlineReplicas: [],
  }));
  return { ...base, errorCode: 0, partitions };
}
