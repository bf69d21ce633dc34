// TxnOffsetCommit (API key 28): a transactional producer commits a group's offsets in its transaction.
// Described from Kafka's TxnOffsetCommitRequest/TxnOffsetCommitResponse message definitions.
import { defineApi, f } from '../schema.js';

export interface TxnOffsetCommitRequest {
  transactionalId: string;
  groupId: string;
  producerId: bigint;
  producerEpoch: number;
  generationId?: number;
  memberId?: string;
  groupInstanceId?: string | null;
  topics: Array<{
    name: string;
    partitions: Array<{
      partitionIndex: number;
      committedOffset: bigint;
      committedLeaderEpoch?: number;
      committedMetadata: string | null;
    }>;
  }>;
}

export interface TxnOffsetCommitResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

export const TxnOffsetCommitApi = defineApi<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  key: 28,
  name: 'TxnOffsetCommit',
  versions: '0-4',
  flexible: '3+',
  request: [
    f('transactionalId', 'string', '0+'),
    f('groupId', 'string', '0+'),
    f('producerId', 'int64', '0+'),
    f('producerEpoch', 'int16', '0+'),
    f('generationId', 'int32', '3+', { default: -1 }),
    f('memberId', 'string', '3+', { default: '' }),
    f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    f('topics', '[]struct', '0+', {
      fields: [
        f('name', 'string', '0+'),
        f('partitions', '[]struct', '0+', {
          fields: [
            f('partitionIndex', 'int32', '0+'),
            f('committedOffset', 'int64', '0+'),
            f('committedLeaderEpoch', 'int32', '2+', { default: -1 }),
            f('committedMetadata', 'string', '0+', { nullable: '0+' }),
          ],
        }),
      ],
    }),
  ],
  response: [
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
