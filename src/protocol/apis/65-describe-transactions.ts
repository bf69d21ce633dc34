// DescribeTransactions (API key 65): the state of transactional ids (kafka-transactions.sh describe).
// Described from Kafka's DescribeTransactionsRequest/DescribeTransactionsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const DescribeTransactionsApi = defineApi({
  key: 65,
  name: 'DescribeTransactions',
  versions: '0',
  flexible: '0+',
  request: [f('transactionalIds', '[]string', '0+')],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('transactionStates', '[]struct', '0+', {
      fields: [
        f('errorCode', 'int16', '0+'),
        f('transactionalId', 'string', '0+'),
        f('transactionState', 'string', '0+'),
        f('transactionTimeoutMs', 'int32', '0+'),
        f('transactionStartTimeMs', 'int64', '0+'),
        f('producerId', 'int64', '0+'),
        f('producerEpoch', 'int16', '0+'),
        f('topics', '[]struct', '0+', {
          fields: [f('topic', 'string', '0+'), f('partitions', '[]int32', '0+')],
        }),
      ],
    }),
  ],
});

export type DescribeTransactionsRequest = RequestOf<typeof DescribeTransactionsApi>;
export type DescribeTransactionsResponse = ResponseOf<typeof DescribeTransactionsApi>;
