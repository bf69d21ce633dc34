import type {
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
} from '../../protocol/apis/24-add-partitions-to-txn.js';
import { AddPartitionsToTxnApi } from '../../protocol/apis/24-add-partitions-to-txn.js';
import { ErrorCode, type ErrorCodeValue } from '../../protocol/errors.js';
import { type ApiHandler, type RequestContext, serves } from '../api-handler.js';
import { mayTopic, mayTransactionalId, Op } from '../auth/authorize.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { fencedForOldClients } from '../txn/errors.js';

type Topics = NonNullable<AddPartitionsToTxnRequest['v3AndBelowTopics']>;

/**
 * AddPartitionsToTxn 0-3: the partitions a transactional producer is about to write to join its
 * transaction (they get its commit or abort marker). v4+ are broker to broker (KIP-890), not served.
 * As in Kafka's KafkaApis: WRITE on the transactional id, else every partition is refused; WRITE on
 * each topic (never granted for internal topics), else the whole request fails, the refused topics
 * with TOPIC_AUTHORIZATION_FAILED, unknown partitions with UNKNOWN_TOPIC_OR_PARTITION and the others
 * with OPERATION_NOT_ATTEMPTED.
 */
export function addPartitionsToTxnHandler(
  transactions: TransactionCoordinator,
): ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> {
  return {
    ...serves(AddPartitionsToTxnApi, 0, 3),
    async handle(request, ctx) {
      const transactionalId = request.v3AndBelowTransactionalId ?? '';
      const topics = request.v3AndBelowTopics ?? [];
      const results = mayTransactionalId(ctx, Op.WRITE, transactionalId)
        ? (refusedTopics(topics, ctx) ??
          (await transactions.addPartitions(
            transactionalId,
            request.v3AndBelowProducerId ?? -1n,
            request.v3AndBelowProducerEpoch ?? -1,
            topics,
          )))
        : answerAll(topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      return {
        throttleTimeMs: 0,
        resultsByTopicV3AndBelow: results.map((t) => ({
          name: t.name,
          resultsByPartition: t.partitions.map((p) => ({
            partitionIndex: p.partition,
            partitionErrorCode: fencedForOldClients(p.errorCode, ctx.apiVersion),
          })),
        })),
      };
    },
  };
}

function answerAll(topics: Topics, code: (topic: string, partition: number) => ErrorCodeValue) {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partition: p, errorCode: code(t.name, p) })),
  }));
}

/** The answer when some topic may not be written, or undefined when every one may. */
function refusedTopics(topics: Topics, ctx: RequestContext) {
  const refused = new Set(
    topics
      .filter((t) => ctx.broker.isInternalTopic(t.name) || !mayTopic(ctx, Op.WRITE, t.name))
      .map((t) => t.name),
  );
  if (refused.size === 0) return undefined;
  const known = (topic: string, p: number) => {
    const count = ctx.broker.store.partitionCount(topic);
    return count !== undefined && p >= 0 && p < count;
  };
  return answerAll(topics, (topic, p) =>
    refused.has(topic)
      ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
      : known(topic, p)
        ? ErrorCode.OPERATION_NOT_ATTEMPTED
        : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );
}
