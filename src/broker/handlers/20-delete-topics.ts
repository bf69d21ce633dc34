import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/apis/20-delete-topics.js';
import { DeleteTopicsApi } from '../../protocol/apis/20-delete-topics.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/messages.js';
import { type ApiHandler, type RequestContext, serves } from '../api-handler.js';
import { mayTopic, Op } from '../auth/authorize.js';
import { TopicStoreError } from '../topic-store.js';

type Result = DeleteTopicsResponse['responses'][number];

/**
 * DeleteTopics 0-6: by name, and from v6 by name or topic id (@platformatic/kafka 1.x only speaks
 * v6). Internal topics cannot be deleted.
 */
export const deleteTopicsHandler: ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> = {
  ...serves(DeleteTopicsApi, 0, 6),
  async handle(request, ctx) {
    const wanted =
      ctx.apiVersion >= 6
        ? (request.topics ?? []).map((t) => ({ name: t.name, topicId: t.topicId }))
        : (request.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: Result[] = [];
    for (const w of wanted) responses.push(await deleteOne(w.name, w.topicId, ctx));
    return { throttleTimeMs: 0, responses };
  },
};

async function deleteOne(byName: string | null, byId: string, ctx: RequestContext): Promise<Result> {
  const { broker } = ctx;
  const name = byName ?? (byId !== ZERO_UUID ? broker.store.topicById(byId) : undefined) ?? null;
  const topicId = name === null ? byId : (broker.store.topicId(name) ?? byId);
  const answer = (errorCode: number, errorMessage: string | null = null): Result => ({
    name,
    topicId,
    errorCode,
    errorMessage,
  });
  if (name === null) return answer(ErrorCode.UNKNOWN_TOPIC_ID, `no topic with id ${byId}`);
  if (!mayTopic(ctx, Op.DELETE, name))
    return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
  // Same code as a client append to an internal topic (Kafka's InvalidTopicException): deleting
  // __consumer_offsets would lose every group's committed offsets.
  if (broker.isInternalTopic(name))
    return answer(ErrorCode.INVALID_TOPIC_EXCEPTION, `"${name}" is an internal topic`);
  if (broker.store.partitionCount(name) === undefined)
    return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic "${name}"`);
  try {
    await broker.store.deleteTopic(name);
  } catch (err) {
    if (!(err instanceof TopicStoreError)) throw err;
    return answer(err.errorCode, err.message);
  }
  broker.quotas?.forgetTopic(name);
  broker.producers.forgetTopic(name);
  broker.log.info({ topic: name, client: ctx.clientId }, 'topic deleted');
  return answer(0);
}
