import type {
  DescribeTransactionsRequest,
  DescribeTransactionsResponse,
} from '../../protocol/apis/65-describe-transactions.js';
import { DescribeTransactionsApi } from '../../protocol/apis/65-describe-transactions.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, type RequestContext, serves } from '../api-handler.js';
import { mayTopic, mayTransactionalId, Op } from '../auth/authorize.js';
import { type TransactionCoordinator, undescribedTransaction } from '../txn/coordinator.js';

/**
 * DescribeTransactions 0 (kafka-transactions.sh describe): state, producer, partitions of each id. As
 * in Kafka, an id the principal may not DESCRIBE is answered TRANSACTIONAL_ID_AUTHORIZATION_FAILED, and
 * only the topics it may DESCRIBE are listed.
 */
export function describeTransactionsHandler(
  transactions: TransactionCoordinator,
): ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponse> {
  return {
    ...serves(DescribeTransactionsApi, 0, 0),
    handle(request, ctx) {
      return {
        throttleTimeMs: 0,
        transactionStates: request.transactionalIds.map((id) => describeIfAllowed(transactions, id, ctx)),
      };
    },
  };
}

function describeIfAllowed(transactions: TransactionCoordinator, id: string, ctx: RequestContext) {
  if (!mayTransactionalId(ctx, Op.DESCRIBE, id))
    return undescribedTransaction(id, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const state = transactions.describe(id);
  return { ...state, topics: state.topics.filter((t) => mayTopic(ctx, Op.DESCRIBE, t.topic)) };
}
