// CreateTopics (API key 19): create topics.
// Described from Kafka's CreateTopicsRequest/CreateTopicsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const CreateTopicsApi = defineApi({
  key: 19,
  name: 'CreateTopics',
  versions: '0-7',
  flexible: '5+',
  request: [
    f('topics', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('numPartitions', 'int32', '0+'),
        f('replicationFactor', 'int16', '0+'),
        f('assignments', '[]struct', '0+', {
          fields: [f('partitionIndex', 'int32', '0+'), f('brokerIds', '[]int32', '0+')],
        }),
        f('configs', '[]struct', '0+', {
          fields: [f('name', 'string', '0+'), f('value', 'string', '0+', { nullable: '0+' })],
        }),
      ],
    }),
    f('timeoutMs', 'int32', '0+', { default: 60000 }),
    f('validateOnly', 'bool', '1+', { default: false }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f('topics', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('topicId', 'uuid', '7+'),
        f('errorCode', 'int16', '0+'),
        f('errorMessage', 'string', '1+', { nullable: '0+' }),
        f('topicConfigErrorCode', 'int16', '5+', { tag: 0, tagged: '5+' }),
        f('numPartitions', 'int32', '5+', { default: -1 }),
        f('replicationFactor', 'int16', '5+', { default: -1 }),
        f('configs', '[]struct', '5+', {
          nullable: '5+',
          fields: [
            f('name', 'string', '5+'),
            f('value', 'string', '5+', { nullable: '5+' }),
            f('readOnly', 'bool', '5+'),
            f('configSource', 'int8', '5+', { default: -1 }),
            f('isSensitive', 'bool', '5+'),
          ],
        }),
      ],
    }),
  ],
});

export type CreateTopicsRequest = RequestOf<typeof CreateTopicsApi>;
export type CreateTopicsResponse = ResponseOf<typeof CreateTopicsApi>;
