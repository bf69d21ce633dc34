// TxnOffsetCommit (API key 28): a transactional producer commits a group's offsets in its transaction.
// Described from Kafka's TxnOffsetCommitRequest/TxnOffsetCommitResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';
import { commitResults, committedMetadata, committedPartition } from './08-offset-commit.js';

export const TxnOffsetCommitApi = defineApi({
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
            ...committedPartition,
            f('committedLeaderEpoch', 'int32', '2+', { default: -1 }),
            committedMetadata,
          ],
        }),
      ],
    }),
  ],
  response: [f('throttleTimeMs', 'int32', '0+'), commitResults],
});

export type TxnOffsetCommitRequest = RequestOf<typeof TxnOffsetCommitApi>;
export type TxnOffsetCommitResponse = ResponseOf<typeof TxnOffsetCommitApi>;
