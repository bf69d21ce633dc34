import type {
  AddOffsetsToTxnRequest,
  AddOffsetsToTxnResponse,
} from '../../protocol/apis/25-add-offsets-to-txn.js';
import type { ApiHandler } from '../api-handler.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { fencedForOldClients } from '../txn/errors.js';

/** AddOffsetsToTxn 0-4: the group's `__consumer_offsets` partition joins the transaction. */
export function addOffsetsToTxnHandler(
  transactions: TransactionCoordinator,
): ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> {
  return {
    apiKey: 25,
    name: 'AddOffsetsToTxn',
    minVersion: 0,
    maxVersion: 4,
    async handle(request, ctx) {
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
