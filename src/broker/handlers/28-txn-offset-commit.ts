import type {
  TxnOffsetCommitRequest,
  TxnOffsetCommitResponse,
} from '../../protocol/apis/28-txn-offset-commit.js';
import { TxnOffsetCommitApi } from '../../protocol/apis/28-txn-offset-commit.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayGroup, mayTopic, mayTransactionalId, Op } from '../auth/authorize.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { fencedForOldClients } from '../txn/errors.js';
import { committedPartition } from './08-offset-commit.js';
import { refusePartitions } from './refusals.js';

/**
 * TxnOffsetCommit 0-4: a group's offsets committed inside a transaction (sendOffsetsToTransaction).
 * The producer must have added the group's offsets to its transaction (AddOffsetsToTxn) with its
 * current epoch; the offsets become visible to the group when the transaction commits. As in Kafka:
 * WRITE on the transactional id and READ on the group, else every partition is refused; READ on each
 * topic, else its partitions get TOPIC_AUTHORIZATION_FAILED and the other topics are committed.
 */
export function txnOffsetCommitHandler(
  groups: GroupCoordinator,
  transactions: TransactionCoordinator,
): ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> {
  return {
    ...serves(TxnOffsetCommitApi, 0, 4),
    async handle(request, ctx) {
      const denied = !mayTransactionalId(ctx, Op.WRITE, request.transactionalId)
        ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        : !mayGroup(ctx, Op.READ, request.groupId)
          ? ErrorCode.GROUP_AUTHORIZATION_FAILED
          : undefined;
      if (denied !== undefined)
        return { throttleTimeMs: 0, topics: refusePartitions(request.topics, denied) };
      const readable = request.topics.filter((t) => mayTopic(ctx, Op.READ, t.name));
      const unreadable = refusePartitions(
        request.topics.filter((t) => !readable.includes(t)),
        ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      );
      if (readable.length === 0) return { throttleTimeMs: 0, topics: unreadable };
      const inTxn = transactions.verifyProduce(
        request.producerId,
        request.producerEpoch,
        '__consumer_offsets',
        groups.partitionFor(request.groupId),
      );
      const refused = inTxn === ErrorCode.NONE ? undefined : fencedForOldClients(inTxn, ctx.apiVersion);
      if (refused !== undefined) {
        return { throttleTimeMs: 0, topics: [...refusePartitions(readable, refused), ...unreadable] };
      }
      const result = await groups.txnCommitOffsets({
        groupId: request.groupId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        generationId: request.generationId ?? -1,
        memberId: request.memberId ?? '',
        groupInstanceId: request.groupInstanceId ?? null,
        topics: readable.map((t) => ({
          name: t.name,
          partitions: t.partitions.map(committedPartition),
        })),
      });
      return { throttleTimeMs: 0, topics: [...result.topics, ...unreadable] };
    },
  };
}
