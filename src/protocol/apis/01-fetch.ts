// Fetch (API key 1): read record batches from partitions.
// Described from Kafka's FetchRequest/FetchResponse message definitions.
// Broker notes: answer lastStableOffset = highWatermark when there are no transactions (clients default to
// read_committed), sessionId 0 (no fetch sessions), preferredReadReplica -1, abortedTransactions [] and an
// empty record set as a zero-length buffer, never null (sarama rejects a -1 length).
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const FetchApi = defineApi({
  key: 1,
  name: 'Fetch',
  versions: '0-17',
  flexible: '12+',
  request: [
    f('clusterId', 'string', '12+', { nullable: '12+', tag: 0, tagged: '12+', default: null }),
    f('replicaId', 'int32', '0-14', { default: -1 }),
    f('replicaState', 'struct', '15+', {
      tag: 1,
      tagged: '15+',
      fields: [
        f('replicaId', 'int32', '15+', { default: -1 }),
        f('replicaEpoch', 'int64', '15+', { default: -1n }),
      ],
    }),
    f('maxWaitMs', 'int32', '0+'),
    f('minBytes', 'int32', '0+'),
    f('maxBytes', 'int32', '3+', { default: 2147483647 }),
    f('isolationLevel', 'int8', '4+', { default: 0 }),
    f('sessionId', 'int32', '7+', { default: 0 }),
    f('sessionEpoch', 'int32', '7+', { default: -1 }),
    f('topics', '[]struct', '0+', {
      fields: [
        f('topic', 'string', '0-12'),
        f('topicId', 'uuid', '13+'),
        f('partitions', '[]struct', '0+', {
          fields: [
            f('partition', 'int32', '0+'),
            f('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
            f('fetchOffset', 'int64', '0+'),
            f('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
            f('logStartOffset', 'int64', '5+', { default: -1n }),
            f('partitionMaxBytes', 'int32', '0+'),
            f('replicaDirectoryId', 'uuid', '17+', { tag: 0, tagged: '17+' }),
          ],
        }),
      ],
    }),
    f('forgottenTopicsData', '[]struct', '7+', {
      fields: [f('topic', 'string', '7-12'), f('topicId', 'uuid', '13+'), f('partitions', '[]int32', '7+')],
    }),
    f('rackId', 'string', '11+', { default: '' }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '7+'),
    f('sessionId', 'int32', '7+', { default: 0 }),
    f('responses', '[]struct', '0+', {
      fields: [
        f('topic', 'string', '0-12'),
        f('topicId', 'uuid', '13+'),
        f('partitions', '[]struct', '0+', {
          fields: [
            f('partitionIndex', 'int32', '0+'),
            f('errorCode', 'int16', '0+'),
            f('highWatermark', 'int64', '0+'),
            f('lastStableOffset', 'int64', '4+', { default: -1n }),
            f('logStartOffset', 'int64', '5+', { default: -1n }),
            f('divergingEpoch', 'struct', '12+', {
              tag: 0,
              tagged: '12+',
              fields: [
                f('epoch', 'int32', '12+', { default: -1 }),
                f('endOffset', 'int64', '12+', { default: -1n }),
              ],
            }),
            f('currentLeader', 'struct', '12+', {
              tag: 1,
              tagged: '12+',
              fields: [
                f('leaderId', 'int32', '12+', { default: -1 }),
                f('leaderEpoch', 'int32', '12+', { default: -1 }),
              ],
            }),
            f('snapshotId', 'struct', '12+', {
              tag: 2,
              tagged: '12+',
              fields: [
                f('endOffset', 'int64', '0+', { default: -1n }),
                f('epoch', 'int32', '0+', { default: -1 }),
              ],
            }),
            f('abortedTransactions', '[]struct', '4+', {
              nullable: '4+',
              fields: [f('producerId', 'int64', '4+'), f('firstOffset', 'int64', '4+')],
            }),
            f('preferredReadReplica', 'int32', '11+', { default: -1 }),
            f('records', 'records', '0+', { nullable: '0+' }),
          ],
        }),
      ],
    }),
    f('nodeEndpoints', '[]struct', '16+', {
      tag: 0,
      tagged: '16+',
      fields: [
        f('nodeId', 'int32', '16+'),
        f('host', 'string', '16+'),
        f('port', 'int32', '16+'),
        f('rack', 'string', '16+', { nullable: '16+', default: null }),
      ],
    }),
  ],
});

export type FetchRequest = RequestOf<typeof FetchApi>;
export type FetchResponse = ResponseOf<typeof FetchApi>;
