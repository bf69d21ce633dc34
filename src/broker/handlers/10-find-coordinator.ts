import type {
  FindCoordinatorRequest,
  FindCoordinatorResponse,
} from '../../protocol/apis/10-find-coordinator.js';
import { FindCoordinatorApi } from '../../protocol/apis/10-find-coordinator.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { mayGroup, mayTransactionalId, Op } from '../auth/authorize.js';

const GROUP_KEY = 0;
const TRANSACTION_KEY = 1;

/**
 * FindCoordinator 0-6: this broker coordinates every group (key type 0) and every transactional id
 * (key type 1). v4+ ask for several keys at once. Other key types (share groups) get INVALID_REQUEST.
 */
export const findCoordinatorHandler: ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  ...serves(FindCoordinatorApi, 0, 6),
  handle(request, ctx) {
    const { host, port } = ctx.broker.advertised(ctx.connection);
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
    // A coordinator is told only to principals that may describe the group or transactional id.
    const refused = (errorCode: number) => ({
      nodeId: -1,
      host: '',
      port: -1,
      errorCode,
      errorMessage: null,
    });
    const answer = (key: string) => {
      if (keyType === GROUP_KEY && !mayGroup(ctx, Op.DESCRIBE, key)) {
        return refused(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      }
      if (keyType === TRANSACTION_KEY && !mayTransactionalId(ctx, Op.DESCRIBE, key)) {
        return refused(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      }
      return found;
    };
    if (ctx.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        coordinators: (request.coordinatorKeys ?? []).map((key) => ({ key, ...answer(key) })),
      };
    }
    return { throttleTimeMs: 0, ...answer(request.key ?? '') };
  },
};
