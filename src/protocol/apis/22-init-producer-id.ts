// InitProducerId (API key 22): producer id and epoch for idempotent/transactional producers.
// Described from Kafka's InitProducerIdRequest/InitProducerIdResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const InitProducerIdApi = defineApi({
  key: 22,
  name: 'InitProducerId',
  versions: '0-5',
  flexible: '2+',
  request: [
    f('transactionalId', 'string', '0+', { nullable: '0+' }),
    f('transactionTimeoutMs', 'int32', '0+'),
    f('producerId', 'int64', '3+', { default: -1n }),
    f('producerEpoch', 'int16', '3+', { default: -1 }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
    f('producerId', 'int64', '0+', { default: -1n }),
    f('producerEpoch', 'int16', '0+'),
  ],
});

export type InitProducerIdRequest = RequestOf<typeof InitProducerIdApi>;
export type InitProducerIdResponse = ResponseOf<typeof InitProducerIdApi>;
