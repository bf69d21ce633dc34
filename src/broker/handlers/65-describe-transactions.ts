import type {
  DescribeTransactionsRequest,
  DescribeTransactionsResponse,
} from '../../protocol/apis/65-describe-transactions.js';
import type { ApiHandler } from '../api-handler.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';

/** DescribeTransactions 0 (kafka-transactions.sh describe): state, producer, partitions of each id. */
export function describeTransactionsHandler(
  transactions: TransactionCoordinator,
): ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponse> {
  return {
    apiKey: 65,
    name: 'DescribeTransactions',
    minVersion: 0,
    maxVersion: 0,
    handle(request) {
      return {
        throttleTimeMs: 0,
        transactionStates: request.transactionalIds.map((id) => transactions.describe(id)),
      };
    },
  };
}
