import type { EndTxnRequest, EndTxnResponse } from '../../protocol/apis/26-end-txn.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler } from '../api-handler.js';
import { mayTransactionalId, Op } from '../auth/authorize.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { fencedForOldClients } from '../txn/errors.js';

/**
 * EndTxn 0-4: commits or aborts the transaction. Answered once the markers are in every partition of
 * the transaction, so a read_committed reader sees the outcome as soon as the producer does. Needs
 * WRITE on the transactional id.
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
      if (!mayTransactionalId(ctx, Op.WRITE, request.transactionalId))
        return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
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
