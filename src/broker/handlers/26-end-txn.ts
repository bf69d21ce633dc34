import { EndTxnApi, type EndTxnRequest, type EndTxnResponse } from '../../protocol/apis/26-end-txn.js';
import { type ApiHandler, serves } from '../api-handler.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { answerTransactional } from '../txn/transactional-request.js';

/**
 * EndTxn 0-4: commits or aborts the transaction. Answered, as by Kafka, once the decision (the
 * prepare record) is durable; the markers follow, and the transactional id's next request gets
 * CONCURRENT_TRANSACTIONS until they are written. Needs WRITE on the transactional id.
 */
export function endTxnHandler(
  transactions: TransactionCoordinator,
): ApiHandler<EndTxnRequest, EndTxnResponse> {
  return {
    ...serves(EndTxnApi, 0, 4),
    handle: (request, ctx) =>
      answerTransactional(ctx, request.transactionalId, () =>
        transactions.endTransaction(
          request.transactionalId,
          request.producerId,
          request.producerEpoch,
          request.committed,
        ),
      ),
  };
}
