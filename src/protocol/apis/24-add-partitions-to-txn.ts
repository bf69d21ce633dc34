// AddPartitionsToTxn (API key 24): partitions a transactional producer is about to write to.
// Described from Kafka's AddPartitionsToTxnRequest/AddPartitionsToTxnResponse message definitions
// (v4+ batch several transactions and are sent broker to broker).
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

const topicFields = [f('name', 'string', '0+'), f('partitions', '[]int32', '0+')];
const topicResultFields = [
  f('name', 'string', '0+'),
  f('resultsByPartition', '[]struct', '0+', {
    fields: [f('partitionIndex', 'int32', '0+'), f('partitionErrorCode', 'int16', '0+')],
  }),
];

export const AddPartitionsToTxnApi = defineApi({
  key: 24,
  name: 'AddPartitionsToTxn',
  versions: '0-5',
  flexible: '3+',
  request: [
    f('transactions', '[]struct', '4+', {
      fields: [
        f('transactionalId', 'string', '4+'),
        f('producerId', 'int64', '4+'),
        f('producerEpoch', 'int16', '4+'),
        f('verifyOnly', 'bool', '4+', { default: false }),
        f('topics', '[]struct', '4+', { fields: topicFields }),
      ],
    }),
    f('v3AndBelowTransactionalId', 'string', '0-3'),
    f('v3AndBelowProducerId', 'int64', '0-3'),
    f('v3AndBelowProducerEpoch', 'int16', '0-3'),
    f('v3AndBelowTopics', '[]struct', '0-3', { fields: topicFields }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '4+', { default: 0 }),
    f('resultsByTransaction', '[]struct', '4+', {
      fields: [
        f('transactionalId', 'string', '4+'),
        f('topicResults', '[]struct', '4+', { fields: topicResultFields }),
      ],
    }),
    f('resultsByTopicV3AndBelow', '[]struct', '0-3', { fields: topicResultFields }),
  ],
});

export type AddPartitionsToTxnRequest = RequestOf<typeof AddPartitionsToTxnApi>;
export type AddPartitionsToTxnResponse = ResponseOf<typeof AddPartitionsToTxnApi>;
