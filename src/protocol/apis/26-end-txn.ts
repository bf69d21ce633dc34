// EndTxn (API key 26): commit or abort a transaction.
// Described from Kafka's EndTxnRequest/EndTxnResponse message definitions.
import { defineApi, f } from '../schema.js';

export interface EndTxnRequest {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  committed: boolean;
}

export interface EndTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId?: bigint;
  producerEpoch?: number;
}

export const EndTxnApi = defineApi<EndTxnRequest, EndTxnResponse>({
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
