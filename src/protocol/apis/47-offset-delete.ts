// OffsetDelete (API key 47): delete a group's committed offsets for some partitions.
// Described from Kafka's OffsetDeleteRequest/OffsetDeleteResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const OffsetDeleteApi = defineApi({
  key: 47,
  name: 'OffsetDelete',
  versions: '0',
  flexible: 'none',
  request: [
    f('groupId', 'string', '0+'),
    f('topics', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('partitions', '[]struct', '0+', { fields: [f('partitionIndex', 'int32', '0+')] }),
      ],
    }),
  ],
  response: [
    f('errorCode', 'int16', '0+'),
    f('throttleTimeMs', 'int32', '0+'),
    f('topics', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('partitions', '[]struct', '0+', {
          fields: [f('partitionIndex', 'int32', '0+'), f('errorCode', 'int16', '0+')],
        }),
      ],
    }),
  ],
});

export type OffsetDeleteRequest = RequestOf<typeof OffsetDeleteApi>;
export type OffsetDeleteResponse = ResponseOf<typeof OffsetDeleteApi>;
