import type { MetadataRequest, MetadataResponse } from '../../protocol/apis/03-metadata.js';
import { ZERO_UUID } from '../../protocol/codec.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler, RequestContext } from '../handler.js';
import { topicNameProblem } from '../topic-names.js';

type TopicMetadata = MetadataResponse['topics'][number];
type TopicRequest = { name: string | null; topicId?: string };

/** The cluster id Metadata and DescribeCluster report: one broker, one cluster, one name. */
export const CLUSTER_ID = 'sluice';

/** Kafka's "authorized operations not requested" marker (INT32_MIN). */
export const OPS_NOT_REQUESTED = -2147483648;

/**
 * Metadata 0-12 (v9, flexible, because @platformatic/kafka 1.x implements only Metadata 9+; v10+ carry
 * topic ids, which kafka-topics --describe prints, and v12 looks topics up by id). We are the only broker, controller and leader of every partition. Topic list semantics
 * differ by version: v0's empty list means all topics, v1+ uses null for all and [] for none.
 * Auto-creation follows the broker setting, and from v4 also the client's allow_auto_topic_creation.
 */
export const metadataHandler: ApiHandler<MetadataRequest, MetadataResponse> = {
  apiKey: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  async handle(request, ctx) {
    const { broker, apiVersion } = ctx;
    const { nodeId } = broker.config;
    const requested = request.topics;
    const all = requested === null || (apiVersion === 0 && requested.length === 0);
    const asked: TopicRequest[] = all
      ? broker.store
          .topicNames()
          .sort()
          .map((name) => ({ name }))
      : requested;
    const mayCreate =
      broker.config.autoCreateTopics && (apiVersion < 4 || request.allowAutoTopicCreation !== false);
    const topics: TopicMetadata[] = [];
    for (const t of asked) topics.push(await answerFor(t, !all && mayCreate, ctx));
    const { host, port } = broker.advertised();
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

/** A topic asked for by name, or (v12, name null) by id: UNKNOWN_TOPIC_ID for an id no topic has. */
async function answerFor(t: TopicRequest, mayCreate: boolean, ctx: RequestContext): Promise<TopicMetadata> {
  if (t.name !== null) return describeTopic(t.name, mayCreate, ctx);
  const name = t.topicId === undefined ? undefined : ctx.broker.store.topicById(t.topicId);
  if (name !== undefined) return describeTopic(name, false, ctx);
  return {
    name: null,
    topicId: t.topicId ?? ZERO_UUID,
    isInternal: false,
    topicAuthorizedOperations: OPS_NOT_REQUESTED,
    errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
    partitions: [],
  };
}

async function describeTopic(name: string, mayCreate: boolean, ctx: RequestContext): Promise<TopicMetadata> {
  const { broker } = ctx;
  const base = {
    name,
    topicId: broker.store.topicId(name) ?? ZERO_UUID,
    isInternal: broker.isInternalTopic(name),
    topicAuthorizedOperations: OPS_NOT_REQUESTED,
  };
  if (topicNameProblem(name) !== null) {
    return { ...base, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, partitions: [] };
  }
  let count = broker.store.partitionCount(name);
  if (count === undefined && mayCreate && (await broker.autoCreateTopic(name))) {
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
  return { ...base, topicId: broker.store.topicId(name) ?? ZERO_UUID, errorCode: 0, partitions };
}
