import type {
  SaslAuthenticateRequest,
  SaslAuthenticateResponse,
} from '../../protocol/apis/36-sasl-authenticate.js';
import { SaslAuthenticateApi } from '../../protocol/apis/36-sasl-authenticate.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';

/**
 * SaslAuthenticate 0-2: one token of the chosen mechanism each way. A failure answers
 * SASL_AUTHENTICATION_FAILED (after the failed-authentication delay) and closes the connection; from
 * v1 a success carries the session lifetime after which the client must re-authenticate (KIP-368).
 */
export const saslAuthenticateHandler: ApiHandler<SaslAuthenticateRequest, SaslAuthenticateResponse> = {
  ...serves(SaslAuthenticateApi, 0, 2),
  async handle(request, ctx) {
    const result = await ctx.broker.security.authenticate(ctx.connection, request.authBytes);
    if (!result.ok) {
      ctx.closeAfterResponse = true;
      return {
        errorCode: result.errorCode,
        errorMessage: result.message,
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0n,
      };
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      authBytes: result.challenge,
      sessionLifetimeMs: BigInt(result.lifetimeMs),
    };
  },
};
