import type {
  AddOffsetsToTxnRequest,
  AddOffsetsToTxnResponse,
} from '../../protocol/apis/25-add-offsets-to-txn.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler } from '../api-handler.js';
import { mayGroup, mayTransactionalId, Op } from '../auth/authorize.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { fencedForOldClients } from '../txn/errors.js';

/**
 * AddOffsetsToTxn 0-4: the group's `__consumer_offsets` partition joins the transaction. Needs WRITE
 * on the transactional id and READ on the group, as in Kafka.
 */
export function addOffsetsToTxnHandler(
  transactions: TransactionCoordinator,
): ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> {
  return {
    apiKey: 25,
    name: 'AddOffsetsToTxn',
    minVersion: 0,
    maxVersion: 4,
    async handle(request, ctx) {
      if (!mayTransactionalId(ctx, Op.WRITE, request.transactionalId))
        return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
      if (!mayGroup(ctx, Op.READ, request.groupId))
        return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
      const code = await transactions.addOffsets(
        request.transactionalId,
        request.producerId,
        request.producerEpoch,
        request.groupId,
      );
      return { throttleTimeMs: 0, errorCode: fencedForOldClients(code, ctx.apiVersion) };
    },
  };
}
