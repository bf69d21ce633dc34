import type {
  InitProducerIdRequest,
  InitProducerIdResponse,
} from '../../protocol/apis/22-init-producer-id.js';
import { InitProducerIdApi } from '../../protocol/apis/22-init-producer-id.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayTransactionalId, mayWriteIdempotently, Op } from '../auth/authorize.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';

/**
 * InitProducerId 0-5. Without a transactional id (idempotent producers: kafkajs `idempotent: true`,
 * librdkafka `enable.idempotence=true`) a fresh producer id at epoch 0. With one, the transaction
 * coordinator bumps the id's epoch, fencing the previous holder and aborting its open transaction;
 * v3+ name the producer's current id and epoch (KIP-360). Before v4 PRODUCER_FENCED is reported as
 * INVALID_PRODUCER_EPOCH, which older clients understand, as Kafka does.
 */
export function initProducerIdHandler(
  transactions: TransactionCoordinator,
): ApiHandler<InitProducerIdRequest, InitProducerIdResponse> {
  return {
    ...serves(InitProducerIdApi, 0, 5),
    async handle(request, ctx) {
      const refused = (errorCode: number) => ({
        throttleTimeMs: 0,
        errorCode,
        producerId: -1n,
        producerEpoch: -1,
      });
      if (request.transactionalId === null) {
        if (!mayWriteIdempotently(ctx)) return refused(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
        return {
          throttleTimeMs: 0,
          errorCode: 0,
          producerId: ctx.broker.producers.allocate(),
          producerEpoch: 0,
        };
      }
      if (!mayTransactionalId(ctx, Op.WRITE, request.transactionalId)) {
        return refused(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      }
      const expected =
        request.producerId !== undefined && request.producerId >= 0n
          ? { producerId: request.producerId, producerEpoch: request.producerEpoch ?? -1 }
          : undefined;
      const result = await transactions.initProducerId(
        request.transactionalId,
        request.transactionTimeoutMs,
        expected,
      );
      const errorCode =
        ctx.apiVersion < 4 && result.errorCode === ErrorCode.PRODUCER_FENCED
          ? ErrorCode.INVALID_PRODUCER_EPOCH
          : result.errorCode;
      return { throttleTimeMs: 0, ...result, errorCode };
    },
  };
}
