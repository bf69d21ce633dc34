import type {
  AddOffsetsToTxnRequest,
  AddOffsetsToTxnResponse,
} from '../../protocol/apis/25-add-offsets-to-txn.js';
import { AddOffsetsToTxnApi } from '../../protocol/apis/25-add-offsets-to-txn.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayGroup, Op } from '../auth/authorize.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { answerTransactional } from '../txn/transactional-request.js';

/**
 * AddOffsetsToTxn 0-4: the group's `__consumer_offsets` partition joins the transaction. Needs WRITE
 * on the transactional id and READ on the group, as in Kafka.
 */
export function addOffsetsToTxnHandler(
  transactions: TransactionCoordinator,
): ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> {
  return {
    ...serves(AddOffsetsToTxnApi, 0, 4),
    handle: (request, ctx) =>
      answerTransactional(
        ctx,
        request.transactionalId,
        () =>
          transactions.addOffsets(
            request.transactionalId,
            request.producerId,
            request.producerEpoch,
            request.groupId,
          ),
        () => (mayGroup(ctx, Op.READ, request.groupId) ? undefined : ErrorCode.GROUP_AUTHORIZATION_FAILED),
      ),
  };
}
