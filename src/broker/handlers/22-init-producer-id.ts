import type {
  InitProducerIdRequest,
  InitProducerIdResponse,
} from '../../protocol/apis/22-init-producer-id.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler } from '../api-handler.js';

/**
 * InitProducerId 0-1 for idempotent producers (kafkajs `idempotent: true`, librdkafka
 * `enable.idempotence=true`): a fresh producer id at epoch 0. Transactions are not supported, so a
 * transactional id is refused.
 */
export const initProducerIdHandler: ApiHandler<InitProducerIdRequest, InitProducerIdResponse> = {
  apiKey: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    if (request.transactionalId !== null && request.transactionalId !== '') {
      ctx.broker.log.warn(
        { client: ctx.clientId, transactionalId: request.transactionalId },
        'transactions are not supported',
      );
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        producerId: -1n,
        producerEpoch: -1,
      };
    }
    return { throttleTimeMs: 0, errorCode: 0, producerId: ctx.broker.producers.allocate(), producerEpoch: 0 };
  },
};
