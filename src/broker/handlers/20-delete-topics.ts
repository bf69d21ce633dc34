import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/apis/20-delete-topics.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler } from '../handler.js';
import { TopicStoreError } from '../topic-store.js';

/** DeleteTopics 0-3 (by name). Internal topics cannot be deleted. */
export const deleteTopicsHandler: ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> = {
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 3,
  async handle(request, ctx) {
    const { broker } = ctx;
    const names = request.topicNames ?? request.topics?.map((t) => t.name ?? '') ?? [];
    const responses: DeleteTopicsResponse['responses'] = [];
    for (const name of names) {
      if (broker.isInternalTopic(name)) {
        responses.push({
          name,
          errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
          errorMessage: 'internal topic',
        });
      } else if (broker.store.partitionCount(name) === undefined) {
        responses.push({ name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null });
      } else {
        try {
          await broker.store.deleteTopic(name);
          broker.quotas?.forgetTopic(name);
          broker.log.info({ topic: name, client: ctx.clientId }, 'topic deleted');
          responses.push({ name, errorCode: 0, errorMessage: null });
        } catch (err) {
          if (!(err instanceof TopicStoreError)) throw err;
          responses.push({ name, errorCode: err.errorCode, errorMessage: err.message });
        }
      }
    }
    return { throttleTimeMs: 0, responses };
  },
};
