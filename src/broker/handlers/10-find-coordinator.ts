import type {
  FindCoordinatorRequest,
  FindCoordinatorResponse,
} from '../../protocol/apis/10-find-coordinator.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler } from '../api-handler.js';

const GROUP_KEY = 0;
const NO_TXN = 'Sluice has no transaction coordinator; only group coordinators (key type 0) exist';

/**
 * FindCoordinator 0-6: this broker coordinates every group. v4+ ask for several keys at once. Sluice
 * has no transaction coordinator, so transactional ids get COORDINATOR_NOT_AVAILABLE with a reason.
 */
export const findCoordinatorHandler: ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 6,
  handle(request, ctx) {
    const { host, port } = ctx.broker.advertised();
    const nodeId = ctx.broker.config.nodeId;
    const isGroup = (request.keyType ?? GROUP_KEY) === GROUP_KEY;
    const found = isGroup
      ? { nodeId, host, port, errorCode: ErrorCode.NONE, errorMessage: null }
      : {
          nodeId: -1,
          host: '',
          port: -1,
          errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
          errorMessage: NO_TXN,
        };
    if (ctx.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        coordinators: (request.coordinatorKeys ?? []).map((key) => ({ key, ...found })),
      };
    }
    return { throttleTimeMs: 0, ...found };
  },
};
