// DescribeCluster (API key 60): the cluster id, the controller and the brokers, for admin clients.
// Described from Kafka's DescribeClusterRequest/DescribeClusterResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const DescribeClusterApi = defineApi({
  key: 60,
  name: 'DescribeCluster',
  versions: '0-2',
  flexible: '0+',
  request: [
    f('includeClusterAuthorizedOperations', 'bool', '0+'),
    f('endpointType', 'int8', '1+', { default: 1 }),
    f('includeFencedBrokers', 'bool', '2+', { default: false }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    f('endpointType', 'int8', '1+', { default: 1 }),
    f('clusterId', 'string', '0+'),
    f('controllerId', 'int32', '0+', { default: -1 }),
    f('brokers', '[]struct', '0+', {
      fields: [
        f('brokerId', 'int32', '0+'),
        f('host', 'string', '0+'),
        f('port', 'int32', '0+'),
        f('rack', 'string', '0+', { nullable: '0+', default: null }),
        f('isFenced', 'bool', '2+', { default: false }),
      ],
    }),
    f('clusterAuthorizedOperations', 'int32', '0+', { default: -2147483648 }),
  ],
});

export type DescribeClusterRequest = RequestOf<typeof DescribeClusterApi>;
export type DescribeClusterResponse = ResponseOf<typeof DescribeClusterApi>;
