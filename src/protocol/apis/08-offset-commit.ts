// OffsetCommit (API key 8): store a consumer group's committed offsets.
// Described from Kafka's OffsetCommitRequest/OffsetCommitResponse message definitions.
import { defineApi, f } from '../schema.js';

export interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch?: number;
  memberId?: string;
  groupInstanceId?: string | null;
  retentionTimeMs?: bigint;
  topics: Array<{
    name: string;
    partitions: Array<{
      partitionIndex: number;
      committedOffset: bigint;
      committedLeaderEpoch?: number;
      commitTimestamp?: bigint;
      committedMetadata: string | null;
    }>;
  }>;
}

export interface OffsetCommitResponse {
  throttleTimeMs?: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

export const OffsetCommitApi = defineApi<OffsetCommitRequest, OffsetCommitResponse>({
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
            f('partitionIndex', 'int32', '0+'),
            f('committedOffset', 'int64', '0+'),
            f('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
            f('commitTimestamp', 'int64', '1', { default: -1n }),
            f('committedMetadata', 'string', '0+', { nullable: '0+' }),
          ],
        }),
      ],
    }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
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
