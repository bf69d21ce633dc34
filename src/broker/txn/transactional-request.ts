import { ErrorCode, type ErrorCodeValue } from '../../protocol/errors.js';
import type { RequestContext } from '../api-handler.js';
import { mayTransactionalId, Op } from '../auth/authorize.js';
import { fencedForOldClients } from './errors.js';

/**
 * The answer of a transactional request with one error code (AddOffsetsToTxn, EndTxn), in Kafka's
 * order: WRITE on the transactional id first (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then the
 * request's other checks (`refused`, e.g. READ on the group), then the coordinator's answer, with
 * PRODUCER_FENCED given to clients older than v2 as INVALID_PRODUCER_EPOCH.
 */
export async function answerTransactional(
  ctx: RequestContext,
  transactionalId: string,
  coordinate: () => Promise<ErrorCodeValue>,
  refused: () => ErrorCodeValue | undefined = () => undefined,
): Promise<{ throttleTimeMs: number; errorCode: ErrorCodeValue }> {
  if (!mayTransactionalId(ctx, Op.WRITE, transactionalId))
    return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
  const refusal = refused();
  if (refusal !== undefined) return { throttleTimeMs: 0, errorCode: refusal };
  return { throttleTimeMs: 0, errorCode: fencedForOldClients(await coordinate(), ctx.apiVersion) };
}
