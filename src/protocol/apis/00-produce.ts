// Produce (API key 0): write record batches to partitions.
// Described from Kafka's ProduceRequest/ProduceResponse message definitions.
// Records stay raw bytes (a record batch v2 as the producer sent it); the codec never looks inside.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const ProduceApi = defineApi({
  key: 0,
  name: 'Produce',
  versions: '0-11',
  flexible: '9+',
  request: [
    f('transactionalId', 'string', '3+', { nullable: '3+', default: null }),
    f('acks', 'int16', '0+'),
    f('timeoutMs', 'int32', '0+'),
    f('topicData', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('partitionData', '[]struct', '0+', {
          fields: [f('index', 'int32', '0+'), f('records', 'records', '0+', { nullable: '0+' })],
        }),
      ],
    }),
  ],
  response: [
    f('responses', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('partitionResponses', '[]struct', '0+', {
          fields: [
            f('index', 'int32', '0+'),
            f('errorCode', 'int16', '0+'),
            f('baseOffset', 'int64', '0+'),
            f('logAppendTimeMs', 'int64', '2+', { default: -1n }),
            f('logStartOffset', 'int64', '5+', { default: -1n }),
            f('recordErrors', '[]struct', '8+', {
              fields: [
                f('batchIndex', 'int32', '8+'),
                f('batchIndexErrorMessage', 'string', '8+', { nullable: '8+', default: null }),
              ],
            }),
            f('errorMessage', 'string', '8+', { nullable: '8+', default: null }),
            f('currentLeader', 'struct', '10+', {
              tag: 0,
              tagged: '10+',
              fields: [
                f('leaderId', 'int32', '10+', { default: -1 }),
                f('leaderEpoch', 'int32', '10+', { default: -1 }),
              ],
            }),
          ],
        }),
      ],
    }),
    f('throttleTimeMs', 'int32', '1+', { default: 0 }),
    f('nodeEndpoints', '[]struct', '10+', {
      tag: 0,
      tagged: '10+',
      fields: [
        f('nodeId', 'int32', '10+'),
        f('host', 'string', '10+'),
        f('port', 'int32', '10+'),
        f('rack', 'string', '10+', { nullable: '10+', default: null }),
      ],
    }),
  ],
});

export type ProduceRequest = RequestOf<typeof ProduceApi>;
export type ProduceResponse = ResponseOf<typeof ProduceApi>;
