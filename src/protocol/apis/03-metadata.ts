// Metadata (API key 3): brokers, topics, partitions and leaders.
// Described from Kafka's MetadataRequest/MetadataResponse message definitions.
// Broker notes: in v0 an empty topic list means "all topics"; from v1 null means all and [] means none.
// controllerId (v1+) must be our node id: admin clients send CreateTopics/DeleteTopics to the controller.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const MetadataApi = defineApi({
  key: 3,
  name: 'Metadata',
  versions: '0-12',
  flexible: '9+',
  request: [
    f('topics', '[]struct', '0+', {
      nullable: '1+',
      fields: [f('topicId', 'uuid', '10+'), f('name', 'string', '0+', { nullable: '10+' })],
    }),
    f('allowAutoTopicCreation', 'bool', '4+', { default: true }),
    f('includeClusterAuthorizedOperations', 'bool', '8-10'),
    f('includeTopicAuthorizedOperations', 'bool', '8+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
    f('brokers', '[]struct', '0+', {
      fields: [
        f('nodeId', 'int32', '0+'),
        f('host', 'string', '0+'),
        f('port', 'int32', '0+'),
        f('rack', 'string', '1+', { nullable: '1+', default: null }),
      ],
    }),
    f('clusterId', 'string', '2+', { nullable: '2+', default: null }),
    f('controllerId', 'int32', '1+', { default: -1 }),
    f('topics', '[]struct', '0+', {
      fields: [
        f('errorCode', 'int16', '0+'),
        f('name', 'string', '0+', { nullable: '12+' }),
        f('topicId', 'uuid', '10+'),
        f('isInternal', 'bool', '1+', { default: false }),
        f('partitions', '[]struct', '0+', {
          fields: [
            f('errorCode', 'int16', '0+'),
            f('partitionIndex', 'int32', '0+'),
            f('leaderId', 'int32', '0+'),
            f('leaderEpoch', 'int32', '7+', { default: -1 }),
            f('replicaNodes', '[]int32', '0+'),
            f('isrNodes', '[]int32', '0+'),
            f('offlineReplicas', '[]int32', '5+'),
          ],
        }),
        f('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
      ],
    }),
    f('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
  ],
});

export type MetadataRequest = RequestOf<typeof MetadataApi>;
export type MetadataResponse = ResponseOf<typeof MetadataApi>;
