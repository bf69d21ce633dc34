// ListOffsets (API key 2): look up offsets by timestamp (earliest -2, latest -1).
// Described from Kafka's ListOffsetsRequest/ListOffsetsResponse message definitions.
// Broker notes: timestamp -1 = latest (high watermark), -2 = earliest (log start). v0 answers with
// oldStyleOffsets, which must hold exactly maxNumOffsets entries (sarama/Burrow asks for 1).
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const ListOffsetsApi = defineApi({
  key: 2,
  name: 'ListOffsets',
  versions: '0-10',
  flexible: '6+',
  request: [
    f('replicaId', 'int32', '0+'),
    f('isolationLevel', 'int8', '2+'),
    f('topics', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('partitions', '[]struct', '0+', {
          fields: [
            f('partitionIndex', 'int32', '0+'),
            f('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
            f('timestamp', 'int64', '0+'),
            f('maxNumOffsets', 'int32', '0', { default: 1 }),
          ],
        }),
      ],
    }),
    f('timeoutMs', 'int32', '10+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f('topics', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('partitions', '[]struct', '0+', {
          fields: [
            f('partitionIndex', 'int32', '0+'),
            f('errorCode', 'int16', '0+'),
            f('oldStyleOffsets', '[]int64', '0'),
            f('timestamp', 'int64', '1+', { default: -1n }),
            f('offset', 'int64', '1+', { default: -1n }),
            f('leaderEpoch', 'int32', '4+', { default: -1 }),
          ],
        }),
      ],
    }),
  ],
});

export type ListOffsetsRequest = RequestOf<typeof ListOffsetsApi>;
export type ListOffsetsResponse = ResponseOf<typeof ListOffsetsApi>;
