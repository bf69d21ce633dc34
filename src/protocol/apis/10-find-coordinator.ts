// FindCoordinator (API key 10): which broker coordinates a group or transaction.
// Described from Kafka's FindCoordinatorRequest/FindCoordinatorResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const FindCoordinatorApi = defineApi({
  key: 10,
  name: 'FindCoordinator',
  versions: '0-6',
  flexible: '3+',
  request: [
    f('key', 'string', '0-3'),
    f('keyType', 'int8', '1+', { default: 0 }),
    f('coordinatorKeys', '[]string', '4+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0-3'),
    f('errorMessage', 'string', '1-3', { nullable: '1-3' }),
    f('nodeId', 'int32', '0-3'),
    f('host', 'string', '0-3'),
    f('port', 'int32', '0-3'),
    f('coordinators', '[]struct', '4+', {
      fields: [
        f('key', 'string', '4+'),
        f('nodeId', 'int32', '4+'),
        f('host', 'string', '4+'),
        f('port', 'int32', '4+'),
        f('errorCode', 'int16', '4+'),
        f('errorMessage', 'string', '4+', { nullable: '4+' }),
      ],
    }),
  ],
});

export type FindCoordinatorRequest = RequestOf<typeof FindCoordinatorApi>;
export type FindCoordinatorResponse = ResponseOf<typeof FindCoordinatorApi>;
