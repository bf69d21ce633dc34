// SyncGroup (API key 14): distribute the leader's partition assignment.
// Described from Kafka's SyncGroupRequest/SyncGroupResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const SyncGroupApi = defineApi({
  key: 14,
  name: 'SyncGroup',
  versions: '0-5',
  flexible: '4+',
  request: [
    f('groupId', 'string', '0+'),
    f('generationId', 'int32', '0+'),
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    f('protocolType', 'string', '5+', { nullable: '5+', default: null }),
    f('protocolName', 'string', '5+', { nullable: '5+', default: null }),
    f('assignments', '[]struct', '0+', {
      fields: [f('memberId', 'string', '0+'), f('assignment', 'bytes', '0+')],
    }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0+'),
    f('protocolType', 'string', '5+', { nullable: '5+', default: null }),
    f('protocolName', 'string', '5+', { nullable: '5+', default: null }),
    f('assignment', 'bytes', '0+'),
  ],
});

export type SyncGroupRequest = RequestOf<typeof SyncGroupApi>;
export type SyncGroupResponse = ResponseOf<typeof SyncGroupApi>;
