// Heartbeat (API key 12): keep a group membership alive.
// Described from Kafka's HeartbeatRequest/HeartbeatResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const HeartbeatApi = defineApi({
  key: 12,
  name: 'Heartbeat',
  versions: '0-4',
  flexible: '4+',
  request: [
    f('groupId', 'string', '0+'),
    f('generationId', 'int32', '0+'),
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
  ],
  response: [f('throttleTimeMs', 'int32', '1+'), f('errorCode', 'int16', '0+')],
});

export type HeartbeatRequest = RequestOf<typeof HeartbeatApi>;
export type HeartbeatResponse = ResponseOf<typeof HeartbeatApi>;
