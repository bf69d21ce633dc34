// CreatePartitions (API key 37): add partitions to topics.
// Described from Kafka's CreatePartitionsRequest/CreatePartitionsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const CreatePartitionsApi = defineApi({
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

export type CreatePartitionsRequest = RequestOf<typeof CreatePartitionsApi>;
export type CreatePartitionsResponse = ResponseOf<typeof CreatePartitionsApi>;
