// ListTransactions (API key 66): transactional ids known to the coordinator (kafka-transactions.sh list).
// Described from Kafka's ListTransactionsRequest/ListTransactionsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const ListTransactionsApi = defineApi({
  key: 66,
  name: 'ListTransactions',
  versions: '0-1',
  flexible: '0+',
  request: [
    f('stateFilters', '[]string', '0+'),
    f('producerIdFilters', '[]int64', '0+'),
    f('durationFilter', 'int64', '1+', { default: -1n }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
    f('unknownStateFilters', '[]string', '0+'),
    f('transactionStates', '[]struct', '0+', {
      fields: [
        f('transactionalId', 'string', '0+'),
        f('producerId', 'int64', '0+'),
        f('transactionState', 'string', '0+'),
      ],
    }),
  ],
});

export type ListTransactionsRequest = RequestOf<typeof ListTransactionsApi>;
export type ListTransactionsResponse = ResponseOf<typeof ListTransactionsApi>;
