import type { CreateTopicsRequest, CreateTopicsResponse } from '../../protocol/apis/19-create-topics.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler, RequestContext } from '../handler.js';
import { topicNameProblem } from '../topic-names.js';
import { TopicStoreError } from '../topic-store.js';

type TopicRequest = CreateTopicsRequest['topics'][number];
type TopicResult = CreateTopicsResponse['topics'][number];

/**
 * CreateTopics 0-4. One broker, so the replication factor must be 1 (or -1, "broker default"); the
 * partition count comes from num_partitions, or from the manual assignment, or (-1) the broker default.
 */
export const createTopicsHandler: ApiHandler<CreateTopicsRequest, CreateTopicsResponse> = {
  apiKey: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    const seen = new Set<string>();
    const topics: TopicResult[] = [];
    for (const t of request.topics) {
      if (seen.has(t.name)) {
        topics.push(
          result(t.name, ErrorCode.INVALID_REQUEST, `topic "${t.name}" appears twice in the request`),
        );
        continue;
      }
      seen.add(t.name);
      topics.push(await createOne(t, request.validateOnly === true, ctx));
    }
    return { throttleTimeMs: 0, topics };
  },
};

function result(name: string, errorCode: number, errorMessage: string | null = null): TopicResult {
  return { name, errorCode, errorMessage };
}

async function createOne(t: TopicRequest, validateOnly: boolean, ctx: RequestContext): Promise<TopicResult> {
  const { broker } = ctx;
  const problem = topicNameProblem(t.name);
  if (problem) return result(t.name, ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
  if (broker.store.partitionCount(t.name) !== undefined) {
    return result(t.name, ErrorCode.TOPIC_ALREADY_EXISTS, `topic "${t.name}" already exists`);
  }
  if (t.replicationFactor !== -1 && t.replicationFactor !== 1 && t.assignments.length === 0) {
    return result(
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
    return result(
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
    return result(t.name, 0);
  } catch (err) {
    if (err instanceof TopicStoreError) return result(t.name, err.errorCode, err.message);
    throw err;
  }
}
