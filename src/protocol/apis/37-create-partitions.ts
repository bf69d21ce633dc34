// CreatePartitions (API key 37): add partitions to topics.
// Described from Kafka's CreatePartitionsRequest/CreatePartitionsResponse message definitions.
import { defineApi, f } from '../schema.js';

export interface CreatePartitionsRequest {
  topics: Array<{ name: string; count: number; assignments: Array<{ brokerIds: number[] }> | null }>;
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatePartitionsResponse {
  throttleTimeMs: number;
  results: Array<{ name: string; errorCode: number; errorMessage: string | null }>;
}

export const CreatePartitionsApi = defineApi<CreatePartitionsRequest, CreatePartitionsResponse>({
  key: 37,
  name: 'CreatePartitions',
  versions: '0-3',
  flexible: '2+',
  request: [
    f('topics', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('count', 'int32', '0+'),
        f('assignments', '[]struct', '0+', { nullable: '0+', fields: [f('brokerIds', '[]int32', '0+')] }),
      ],
    }),
    f('timeoutMs', 'int32', '0+'),
    f('validateOnly', 'bool', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('results', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('errorCode', 'int16', '0+'),
        f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
      ],
    }),
  ],
});
