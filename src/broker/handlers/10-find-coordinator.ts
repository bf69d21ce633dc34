import type {
  FindCoordinatorRequest,
  FindCoordinatorResponse,
} from '../../protocol/apis/10-find-coordinator.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler } from '../api-handler.js';

const GROUP_KEY = 0;
const TRANSACTION_KEY = 1;

/**
 * FindCoordinator 0-6: this broker coordinates every group (key type 0) and every transactional id
 * (key type 1). v4+ ask for several keys at once. Other key types (share groups) get INVALID_REQUEST.
 */
export const findCoordinatorHandler: ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 6,
  handle(request, ctx) {
    const { host, port } = ctx.broker.advertised();
    const nodeId = ctx.broker.config.nodeId;
    const keyType = request.keyType ?? GROUP_KEY;
    const found =
      keyType === GROUP_KEY || keyType === TRANSACTION_KEY
        ? { nodeId, host, port, errorCode: ErrorCode.NONE, errorMessage: null }
        : {
            nodeId: -1,
            host: '',
            port: -1,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: `key type ${keyType} is not served; 0 (groups) and 1 (transactions) are`,
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
