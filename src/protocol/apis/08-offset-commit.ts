// OffsetCommit (API key 8): store a consumer group's committed offsets.
// Described from Kafka's OffsetCommitRequest/OffsetCommitResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

// The partition fields and results OffsetCommit shares with TxnOffsetCommit (28), which adds the leader
// epoch at its own v2 and never had a commit timestamp.
export const committedPartition = [
  f('partitionIndex', 'int32', '0+'),
  f('committedOffset', 'int64', '0+'),
] as const;
export const committedMetadata = f('committedMetadata', 'string', '0+', { nullable: '0+' });
export const commitResults = f('topics', '[]struct', '0+', {
  fields: [
    f('name', 'string', '0+'),
    f('partitions', '[]struct', '0+', {
      fields: [f('partitionIndex', 'int32', '0+'), f('errorCode', 'int16', '0+')],
    }),
  ],
});

export const OffsetCommitApi = defineApi({
  key: 8,
  name: 'OffsetCommit',
  versions: '0-9',
  flexible: '8+',
  request: [
    f('groupId', 'string', '0+'),
    f('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
    f('memberId', 'string', '1+'),
    f('groupInstanceId', 'string', '7+', { nullable: '7+', default: null }),
    f('retentionTimeMs', 'int64', '2-4', { default: -1n }),
    f('topics', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('partitions', '[]struct', '0+', {
          fields: [
            ...committedPartition,
            f('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
            f('commitTimestamp', 'int64', '1', { default: -1n }),
            committedMetadata,
          ],
        }),
      ],
    }),
  ],
  response: [f('throttleTimeMs', 'int32', '3+'), commitResults],
});

export type OffsetCommitRequest = RequestOf<typeof OffsetCommitApi>;
export type OffsetCommitResponse = ResponseOf<typeof OffsetCommitApi>;
