// AddOffsetsToTxn (API key 25): a transaction will commit offsets for a consumer group.
// Described from Kafka's AddOffsetsToTxnRequest/AddOffsetsToTxnResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const AddOffsetsToTxnApi = defineApi({
  key: 25,
  name: 'AddOffsetsToTxn',
  versions: '0-4',
  flexible: '3+',
  request: [
    f('transactionalId', 'string', '0+'),
    f('producerId', 'int64', '0+'),
    f('producerEpoch', 'int16', '0+'),
    f('groupId', 'string', '0+'),
  ],
  response: [f('throttleTimeMs', 'int32', '0+'), f('errorCode', 'int16', '0+')],
});

export type AddOffsetsToTxnRequest = RequestOf<typeof AddOffsetsToTxnApi>;
export type AddOffsetsToTxnResponse = ResponseOf<typeof AddOffsetsToTxnApi>;
