import type {
  FindCoordinatorRequest,
  FindCoordinatorResponse,
} from '../../protocol/apis/10-find-coordinator.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler } from '../handler.js';

const GROUP_KEY = 0;

/**
 * FindCoordinator 0-2: this broker coordinates every group. Sluice has no transaction coordinator, so
 * transactional ids get COORDINATOR_NOT_AVAILABLE with a message saying so.
 */
export const findCoordinatorHandler: ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 2,
  handle(request, ctx) {
    const { host, port } = ctx.broker.advertised();
    const nodeId = ctx.broker.config.nodeId;
    if ((request.keyType ?? GROUP_KEY) !== GROUP_KEY) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        errorMessage: 'Sluice has no transaction coordinator; only group coordinators (key type 0) exist',
        nodeId: -1,
        host: '',
        port: -1,
      };
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId, host, port };
  },
};
