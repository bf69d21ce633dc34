// SaslAuthenticate (API key 36): one SASL token each way, framed as a Kafka request (KIP-152).
// Described from Kafka's SaslAuthenticateRequest/SaslAuthenticateResponse message definitions.
import { defineApi, f } from '../schema.js';

export interface SaslAuthenticateRequest {
  authBytes: Buffer;
}

export interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  /** KIP-368: how long the session lasts before the client must re-authenticate (0 = no limit). */
  sessionLifetimeMs?: bigint;
}

export const SaslAuthenticateApi = defineApi<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  key: 36,
  name: 'SaslAuthenticate',
  versions: '0-2',
  flexible: '2+',
  request: [f('authBytes', 'bytes', '0+')],
  response: [
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('authBytes', 'bytes', '0+'),
    f('sessionLifetimeMs', 'int64', '1+', { default: 0n }),
  ],
});
