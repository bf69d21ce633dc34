// SaslHandshake (API key 17): choose a SASL mechanism.
// Described from Kafka's SaslHandshakeRequest/SaslHandshakeResponse message definitions.
import { defineApi, f } from '../schema.js';

export interface SaslHandshakeRequest {
  mechanism: string;
}

export interface SaslHandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}

export const SaslHandshakeApi = defineApi<SaslHandshakeRequest, SaslHandshakeResponse>({
  key: 17,
  name: 'SaslHandshake',
  versions: '0-1',
  flexible: 'none',
  request: [f('mechanism', 'string', '0+')],
  response: [f('errorCode', 'int16', '0+'), f('mechanisms', '[]string', '0+')],
});
