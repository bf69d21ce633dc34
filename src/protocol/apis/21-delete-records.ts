// DeleteRecords (API key 21): move partitions' log start offsets forward.
// Described from Kafka's DeleteRecordsRequest/DeleteRecordsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const DeleteRecordsApi = defineApi({
  key: 21,
  name: 'DeleteRecords',
  versions: '0-2',
  flexible: '2+',
  request: [
    f('topics', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('partitions', '[]struct', '0+', {
          fields: [f('partitionIndex', 'int32', '0+'), f('offset', 'int64', '0+')],
        }),
      ],
    }),
    f('timeoutMs', 'int32', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('topics', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('partitions', '[]struct', '0+', {
          fields: [
            f('partitionIndex', 'int32', '0+'),
            f('lowWatermark', 'int64', '0+'),
            f('errorCode', 'int16', '0+'),
          ],
        }),
      ],
    }),
  ],
});

export type DeleteRecordsRequest = RequestOf<typeof DeleteRecordsApi>;
export type DeleteRecordsResponse = ResponseOf<typeof DeleteRecordsApi>;
