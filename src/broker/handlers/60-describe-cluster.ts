import type {
  DescribeClusterRequest,
  DescribeClusterResponse,
} from '../../protocol/apis/60-describe-cluster.js';
import { DescribeClusterApi } from '../../protocol/apis/60-describe-cluster.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { CLUSTER_ID, OPS_NOT_REQUESTED } from './03-metadata.js';

/** Kafka's EndpointType: 1 = brokers, 2 = controllers (KIP-919, for clients bootstrapping to controllers). */
const ENDPOINT_BROKERS = 1;
const ENDPOINT_CONTROLLERS = 2;

/**
 * DescribeCluster 0-2 (Admin.describeCluster, kafka-broker-api-versions): the one broker, which is also
 * the controller, under the cluster id Metadata reports. Asking for controller endpoints, or an unknown
 * endpoint type, is refused with the codes a Kafka broker listener uses (MISMATCHED_ENDPOINT_TYPE,
 * UNSUPPORTED_ENDPOINT_TYPE).
 */
export const describeClusterHandler: ApiHandler<DescribeClusterRequest, DescribeClusterResponse> = {
  ...serves(DescribeClusterApi, 0, 2),
  handle(request, ctx) {
    const endpointType = request.endpointType ?? ENDPOINT_BROKERS;
    if (endpointType !== ENDPOINT_BROKERS) return refused(endpointType);
    const { nodeId } = ctx.broker.config;
    const { host, port } = ctx.broker.advertised(ctx.connection);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType,
      clusterId: CLUSTER_ID,
      controllerId: nodeId,
      brokers: [{ brokerId: nodeId, host, port, rack: null, isFenced: false }],
      clusterAuthorizedOperations: OPS_NOT_REQUESTED,
    };
  },
};

/** Kafka's error answer: the code, and every other field at its default (as the differential suite checks). */
function refused(endpointType: number): DescribeClusterResponse {
  return {
    throttleTimeMs: 0,
    errorCode:
      endpointType === ENDPOINT_CONTROLLERS
        ? ErrorCode.MISMATCHED_ENDPOINT_TYPE
        : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
    errorMessage: `this listener serves broker endpoints (type ${ENDPOINT_BROKERS}), not type ${endpointType}`,
    endpointType: ENDPOINT_BROKERS,
    clusterId: '',
    controllerId: -1,
    brokers: [],
    clusterAuthorizedOperations: OPS_NOT_REQUESTED,
  };
}
