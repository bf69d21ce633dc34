// DeleteRecords (API key 21): move partitions' log start offsets forward.
// Described from Kafka's DeleteRecordsRequest/DeleteRecordsResponse message definitions.
import { defineApi, f } from '../schema.js';

export interface DeleteRecordsRequest {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; offset: bigint }> }>;
  timeoutMs: number;
}

export interface DeleteRecordsResponse {
  throttleTimeMs: number;
  topics: Array<{
    name: string;
    partitions: Array<{ partitionIndex: number; lowWatermark: bigint; errorCode: number }>;
  }>;
}

export const DeleteRecordsApi = defineApi<DeleteRecordsRequest, DeleteRecordsResponse>({
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
