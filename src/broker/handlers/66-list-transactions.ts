import type {
  ListTransactionsRequest,
  ListTransactionsResponse,
} from '../../protocol/apis/66-list-transactions.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler } from '../api-handler.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';

/** ListTransactions 0-1 (kafka-transactions.sh list): ids filtered by state, producer id and, v1, running time. */
export function listTransactionsHandler(
  transactions: TransactionCoordinator,
): ApiHandler<ListTransactionsRequest, ListTransactionsResponse> {
  return {
    apiKey: 66,
    name: 'ListTransactions',
    minVersion: 0,
    maxVersion: 1,
    handle(request) {
      const found = transactions.list(
        request.stateFilters,
        request.producerIdFilters,
        Number(request.durationFilter ?? -1n),
      );
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        unknownStateFilters: found.unknownStateFilters,
        transactionStates: found.transactions,
      };
    },
  };
}
