// EndTxn (API key 26): commit or abort a transaction.
// Described from Kafka's EndTxnRequest/EndTxnResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const EndTxnApi = defineApi({
  key: 26,
  name: 'EndTxn',
  versions: '0-5',
  flexible: '3+',
  request: [
    f('transactionalId', 'string', '0+'),
    f('producerId', 'int64', '0+'),
    f('producerEpoch', 'int16', '0+'),
    f('committed', 'bool', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
    f('producerId', 'int64', '5+', { default: -1n }),
    f('producerEpoch', 'int16', '5+', { default: -1 }),
  ],
});

export type EndTxnRequest = RequestOf<typeof EndTxnApi>;
export type EndTxnResponse = ResponseOf<typeof EndTxnApi>;
