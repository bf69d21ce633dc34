import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../../protocol/apis/17-sasl-handshake.js';
import { SaslHandshakeApi } from '../../protocol/apis/17-sasl-handshake.js';
import { type ApiHandler, serves } from '../api-handler.js';

/**
 * SaslHandshake 0-1: picks the mechanism. v1 is followed by SaslAuthenticate requests; v0 by bare SASL
 * tokens (the pre-KIP-152 flow kafka-python 2.0 still uses). On a listener without SASL the answer is
 * ILLEGAL_SASL_STATE, as Kafka gives; a second handshake in the middle of an exchange gets it too, and
 * the connection is closed.
 */
export const saslHandshakeHandler: ApiHandler<SaslHandshakeRequest, SaslHandshakeResponse> = {
  ...serves(SaslHandshakeApi, 0, 1),
  handle(request, ctx) {
    const security = ctx.broker.security;
    const { errorCode, close } = security.handshake(ctx.connection, request.mechanism, ctx.apiVersion);
    if (close) ctx.closeAfterResponse = true;
    return { errorCode, mechanisms: [...security.mechanisms] };
  },
};
