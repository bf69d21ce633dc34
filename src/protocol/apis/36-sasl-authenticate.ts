// SaslAuthenticate (API key 36): one SASL token each way, framed as a Kafka request (KIP-152).
// Described from Kafka's SaslAuthenticateRequest/SaslAuthenticateResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const SaslAuthenticateApi = defineApi({
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

export type SaslAuthenticateRequest = RequestOf<typeof SaslAuthenticateApi>;
export type SaslAuthenticateResponse = ResponseOf<typeof SaslAuthenticateApi>;
