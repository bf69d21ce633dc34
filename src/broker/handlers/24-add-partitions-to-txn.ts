import type {
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
} from '../../protocol/apis/24-add-partitions-to-txn.js';
import type { ApiHandler } from '../api-handler.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { fencedForOldClients } from '../txn/errors.js';

/**
 * AddPartitionsToTxn 0-3: the partitions a transactional producer is about to write to join its
 * transaction (they get its commit or abort marker). v4+ are broker to broker (KIP-890), not served.
 */
export function addPartitionsToTxnHandler(
  transactions: TransactionCoordinator,
): ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> {
  return {
    apiKey: 24,
    name: 'AddPartitionsToTxn',
    minVersion: 0,
    maxVersion: 3,
    async handle(request, ctx) {
      const results = await transactions.addPartitions(
        request.v3AndBelowTransactionalId ?? '',
        request.v3AndBelowProducerId ?? -1n,
        request.v3AndBelowProducerEpoch ?? -1,
        request.v3AndBelowTopics ?? [],
      );
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
