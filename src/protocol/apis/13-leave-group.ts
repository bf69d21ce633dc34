// LeaveGroup (API key 13): leave a consumer group.
// Described from Kafka's LeaveGroupRequest/LeaveGroupResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const LeaveGroupApi = defineApi({
  key: 13,
  name: 'LeaveGroup',
  versions: '0-5',
  flexible: '4+',
  request: [
    f('groupId', 'string', '0+'),
    f('memberId', 'string', '0-2'),
    f('members', '[]struct', '3+', {
      fields: [
        f('memberId', 'string', '3+'),
        f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
        f('reason', 'string', '5+', { nullable: '5+', default: null }),
      ],
    }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0+'),
    f('members', '[]struct', '3+', {
      fields: [
        f('memberId', 'string', '3+'),
        f('groupInstanceId', 'string', '3+', { nullable: '3+' }),
        f('errorCode', 'int16', '3+'),
      ],
    }),
  ],
});

export type LeaveGroupRequest = RequestOf<typeof LeaveGroupApi>;
export type LeaveGroupResponse = ResponseOf<typeof LeaveGroupApi>;
