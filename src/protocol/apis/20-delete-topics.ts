// DeleteTopics (API key 20): delete topics.
// Described from Kafka's DeleteTopicsRequest/DeleteTopicsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const DeleteTopicsApi = defineApi({
  key: 20,
  name: 'DeleteTopics',
  versions: '0-6',
  flexible: '4+',
  request: [
    f('topics', '[]struct', '6+', {
      fields: [f('name', 'string', '6+', { nullable: '6+', default: null }), f('topicId', 'uuid', '6+')],
    }),
    f('topicNames', '[]string', '0-5'),
    f('timeoutMs', 'int32', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('responses', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+', { nullable: '6+' }),
        f('topicId', 'uuid', '6+'),
        f('errorCode', 'int16', '0+'),
        f('errorMessage', 'string', '5+', { nullable: '5+', default: null }),
      ],
    }),
  ],
});

export type DeleteTopicsRequest = RequestOf<typeof DeleteTopicsApi>;
export type DeleteTopicsResponse = ResponseOf<typeof DeleteTopicsApi>;
