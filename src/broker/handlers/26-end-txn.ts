import type { EndTxnRequest, EndTxnResponse } from '../../protocol/apis/26-end-txn.js';
import type { ApiHandler } from '../api-handler.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { fencedForOldClients } from '../txn/errors.js';

/**
 * EndTxn 0-4: commits or aborts the transaction. Answered once the markers are in every partition of
 * the transaction, so a read_committed reader sees the outcome as soon as the producer does.
 */
export function endTxnHandler(
  transactions: TransactionCoordinator,
): ApiHandler<EndTxnRequest, EndTxnResponse> {
  return {
    apiKey: 26,
    name: 'EndTxn',
    minVersion: 0,
    maxVersion: 4,
    async handle(request, ctx) {
      const code = await transactions.endTransaction(
        request.transactionalId,
        request.producerId,
        request.producerEpoch,
        request.committed,
      );
      return { throttleTimeMs: 0, errorCode: fencedForOldClients(code, ctx.apiVersion) };
    },
  };
}
