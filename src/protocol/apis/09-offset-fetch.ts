// OffsetFetch (API key 9): read a consumer group's committed offsets.
// Described from Kafka's OffsetFetchRequest/OffsetFetchResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const OffsetFetchApi = defineApi({
  key: 9,
  name: 'OffsetFetch',
  versions: '0-9',
  flexible: '6+',
  request: [
    f('groupId', 'string', '0-7'),
    f('topics', '[]struct', '0-7', {
      nullable: '2-7',
      fields: [f('name', 'string', '0-7'), f('partitionIndexes', '[]int32', '0-7')],
    }),
    f('groups', '[]struct', '8+', {
      fields: [
        f('groupId', 'string', '8+'),
        f('memberId', 'string', '9+', { nullable: '9+', default: null }),
        f('memberEpoch', 'int32', '9+', { default: -1 }),
        f('topics', '[]struct', '8+', {
          nullable: '8+',
          fields: [f('name', 'string', '8+'), f('partitionIndexes', '[]int32', '8+')],
        }),
      ],
    }),
    f('requireStable', 'bool', '7+', { default: false }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
    f('topics', '[]struct', '0-7', {
      fields: [
        f('name', 'string', '0-7'),
        f('partitions', '[]struct', '0-7', {
          fields: [
            f('partitionIndex', 'int32', '0-7'),
            f('committedOffset', 'int64', '0-7'),
            f('committedLeaderEpoch', 'int32', '5-7', { default: -1 }),
            f('metadata', 'string', '0-7', { nullable: '0-7' }),
            f('errorCode', 'int16', '0-7'),
          ],
        }),
      ],
    }),
    f('errorCode', 'int16', '2-7', { default: 0 }),
    f('groups', '[]struct', '8+', {
      fields: [
        f('groupId', 'string', '8+'),
        f('topics', '[]struct', '8+', {
          fields: [
            f('name', 'string', '8+'),
            f('partitions', '[]struct', '8+', {
              fields: [
                f('partitionIndex', 'int32', '8+'),
                f('committedOffset', 'int64', '8+'),
                f('committedLeaderEpoch', 'int32', '8+', { default: -1 }),
                f('metadata', 'string', '8+', { nullable: '8+' }),
                f('errorCode', 'int16', '8+'),
              ],
            }),
          ],
        }),
        f('errorCode', 'int16', '8+', { default: 0 }),
      ],
    }),
  ],
});

export type OffsetFetchRequest = RequestOf<typeof OffsetFetchApi>;
export type OffsetFetchResponse = ResponseOf<typeof OffsetFetchApi>;
