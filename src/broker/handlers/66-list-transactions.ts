import type {
  ListTransactionsRequest,
  ListTransactionsResponse,
} from '../../protocol/apis/66-list-transactions.js';
import { ListTransactionsApi } from '../../protocol/apis/66-list-transactions.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayTransactionalId, Op } from '../auth/authorize.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';

/**
 * ListTransactions 0-1 (kafka-transactions.sh list): ids filtered by state, producer id and, v1, running
 * time; as in Kafka, only the ids the principal may DESCRIBE.
 */
export function listTransactionsHandler(
  transactions: TransactionCoordinator,
): ApiHandler<ListTransactionsRequest, ListTransactionsResponse> {
  return {
    ...serves(ListTransactionsApi, 0, 1),
    handle(request, ctx) {
      const found = transactions.list(
        request.stateFilters,
        request.producerIdFilters,
        Number(request.durationFilter ?? -1n),
      );
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        unknownStateFilters: found.unknownStateFilters,
        transactionStates: found.transactions.filter((t) =>
          mayTransactionalId(ctx, Op.DESCRIBE, t.transactionalId),
        ),
      };
    },
  };
}
