// DeleteTopics (API key 20): delete topics.
// Described from Kafka's DeleteTopicsRequest/DeleteTopicsResponse message definitions.
import { defineApi, f } from '../schema.js';

export interface DeleteTopicsRequest {
  topics?: Array<{ name: string | null; topicId: string }>;
  topicNames?: string[];
  timeoutMs: number;
}

export interface DeleteTopicsResponse {
  throttleTimeMs?: number;
  responses: Array<{
    name: string | null;
    topicId?: string;
    errorCode: number;
    errorMessage?: string | null;
  }>;
}

export const DeleteTopicsApi = defineApi<DeleteTopicsRequest, DeleteTopicsResponse>({
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
