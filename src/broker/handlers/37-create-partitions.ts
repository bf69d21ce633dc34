import type {
  CreatePartitionsRequest,
  CreatePartitionsResponse,
} from '../../protocol/apis/37-create-partitions.js';
import { CreatePartitionsApi } from '../../protocol/apis/37-create-partitions.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayTopic, Op } from '../auth/authorize.js';
import { TopicStoreError } from '../topic-store.js';

/** Same ceiling as storage applies at creation, so a typo cannot ask for a billion partition logs. */
const MAX_PARTITIONS = 100_000;

/** CreatePartitions 0-1: grows a topic to `count` partitions (never shrinks, as in Kafka). */
export const createPartitionsHandler: ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> = {
  ...serves(CreatePartitionsApi, 0, 1),
  async handle(request, ctx) {
    const { broker } = ctx;
    const results: CreatePartitionsResponse['results'] = [];
    for (const t of request.topics) {
      const current = broker.store.partitionCount(t.name);
      if (!mayTopic(ctx, Op.ALTER, t.name)) {
        results.push({
          name: t.name,
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          errorMessage: 'Authorization failed.',
        });
      } else if (broker.isInternalTopic(t.name)) {
        // The coordinator maps groups to __consumer_offsets partitions by count, so growing it would
        // orphan every group's records; refused as CreateTopics refuses internal topics (INVALID_REQUEST).
        results.push({
          name: t.name,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `the partition count of internal topic ${t.name} cannot be changed`,
        });
      } else if (current === undefined) {
        results.push({
          name: t.name,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: `no topic "${t.name}"`,
        });
      } else if (t.count > MAX_PARTITIONS) {
        results.push({
          name: t.name,
          errorCode: ErrorCode.INVALID_PARTITIONS,
          errorMessage: `a topic may have at most ${MAX_PARTITIONS} partitions (asked for ${t.count})`,
        });
      } else if (t.count <= current) {
        results.push({
          name: t.name,
          errorCode: ErrorCode.INVALID_PARTITIONS,
          errorMessage: `topic "${t.name}" has ${current} partitions; the new count must be larger (got ${t.count})`,
        });
      } else {
        try {
          if (!request.validateOnly) await broker.store.addPartitions(t.name, t.count);
          results.push({ name: t.name, errorCode: 0, errorMessage: null });
        } catch (err) {
          if (!(err instanceof TopicStoreError)) throw err;
          results.push({ name: t.name, errorCode: err.errorCode, errorMessage: err.message });
        }
      }
    }
    return { throttleTimeMs: 0, results };
  },
};
