import type { CreateTopicsRequest, CreateTopicsResponse } from '../../protocol/apis/19-create-topics.js';
import { CreateTopicsApi } from '../../protocol/apis/19-create-topics.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/messages.js';
import { type ApiHandler, type RequestContext, serves } from '../api-handler.js';
import { mayCreateTopic } from '../auth/authorize.js';
import { topicNameProblem } from '../topic-names.js';
import { TopicStoreError } from '../topic-store.js';
import { configSource } from './32-describe-configs.js';

type TopicRequest = CreateTopicsRequest['topics'][number];
type TopicResult = CreateTopicsResponse['topics'][number];

/**
 * CreateTopics 0-7 (5+ flexible and echoing the topic's partitions, replication and configs, 7 its
 * id: @platformatic/kafka 1.x only speaks v7). One broker, so the replication factor must be 1 (or
 * -1, "broker default"); the partition count comes from num_partitions, or from the manual
 * assignment, or (-1) the broker default.
 */
export const createTopicsHandler: ApiHandler<CreateTopicsRequest, CreateTopicsResponse> = {
  ...serves(CreateTopicsApi, 0, 7),
  async handle(request, ctx) {
    // Kafka refuses every entry of a name the request repeats, creating none of them, and answers
    // once per name (the response's topics are keyed by name).
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const answered = new Set<string>();
    const topics: TopicResult[] = [];
    for (const t of request.topics) {
      if (answered.has(t.name)) continue;
      answered.add(t.name);
      if ((counts.get(t.name) ?? 0) > 1) {
        topics.push(
          failed(
            t.name,
            ErrorCode.INVALID_REQUEST,
            `topic "${t.name}" appears more than once in the request`,
          ),
        );
        continue;
      }
      if (!mayCreateTopic(ctx, t.name)) {
        topics.push(failed(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.'));
        continue;
      }
      topics.push(await createOne(t, request.validateOnly === true, ctx));
    }
    return { throttleTimeMs: 0, topics };
  },
};

function failed(name: string, errorCode: number, errorMessage: string | null = null): TopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    numPartitions: -1,
    replicationFactor: -1,
    configs: null,
  };
}

async function createOne(t: TopicRequest, validateOnly: boolean, ctx: RequestContext): Promise<TopicResult> {
  const { broker } = ctx;
  const problem = topicNameProblem(t.name);
  if (problem) return failed(t.name, ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
  // Kafka answers a CreateTopics for its own internal topic (`__cluster_metadata`) with INVALID_REQUEST
  // ("Creation of internal topic ... is prohibited"); the broker's internal topics get the same.
  if (broker.isInternalTopic(t.name)) {
    return failed(t.name, ErrorCode.INVALID_REQUEST, `creation of internal topic ${t.name} is prohibited`);
  }
  if (broker.store.partitionCount(t.name) !== undefined) {
    return failed(t.name, ErrorCode.TOPIC_ALREADY_EXISTS, `topic "${t.name}" already exists`);
  }
  if (t.replicationFactor !== -1 && t.replicationFactor !== 1 && t.assignments.length === 0) {
    return failed(
      t.name,
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `replication factor ${t.replicationFactor} is impossible with a single broker; use 1`,
    );
  }
  const partitions =
    t.assignments.length > 0
      ? t.assignments.length
      : t.numPartitions === -1
        ? broker.config.defaultPartitions
        : t.numPartitions;
  if (!Number.isInteger(partitions) || partitions < 1) {
    return failed(
      t.name,
      ErrorCode.INVALID_PARTITIONS,
      `number of partitions must be at least 1 (got ${partitions})`,
    );
  }
  const configs: Record<string, string> = {};
  for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
  try {
    if (validateOnly) broker.store.validateTopic(t.name, partitions, configs);
    else {
      await broker.store.createTopic(t.name, partitions, configs);
      broker.log.info({ topic: t.name, partitions, configs, client: ctx.clientId }, 'topic created');
    }
  } catch (err) {
    if (err instanceof TopicStoreError) return failed(t.name, err.errorCode, err.message);
    throw err;
  }
  return {
    name: t.name,
    topicId: broker.store.topicId(t.name) ?? ZERO_UUID,
    errorCode: 0,
    errorMessage: null,
    numPartitions: partitions,
    replicationFactor: 1,
    configs: validateOnly
      ? null
      : broker.store.describeConfigs(t.name).map((e) => ({
          name: e.name,
          value: e.value,
          readOnly: e.readOnly,
          configSource: configSource(e.source),
          isSensitive: false,
        })),
  };
}
