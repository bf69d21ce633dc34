// SaslHandshake (API key 17): choose a SASL mechanism.
// Described from Kafka's SaslHandshakeRequest/SaslHandshakeResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const SaslHandshakeApi = defineApi({
  key: 17,
  name: 'SaslHandshake',
  versions: '0-1',
  flexible: 'none',
  request: [f('mechanism', 'string', '0+')],
  response: [f('errorCode', 'int16', '0+'), f('mechanisms', '[]string', '0+')],
});

export type SaslHandshakeRequest = RequestOf<typeof SaslHandshakeApi>;
export type SaslHandshakeResponse = ResponseOf<typeof SaslHandshakeApi>;
