// AlterConfigs (API key 33): replace topic and broker configs.
// Described from Kafka's AlterConfigsRequest/AlterConfigsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const AlterConfigsApi = defineApi({
  key: 33,
  name: 'AlterConfigs',
  versions: '0-2',
  flexible: '2+',
  request: [
    f('resources', '[]struct', '0+', {
      fields: [
        f('resourceType', 'int8', '0+'),
        f('resourceName', 'string', '0+'),
        f('configs', '[]struct', '0+', {
          fields: [f('name', 'string', '0+'), f('value', 'string', '0+', { nullable: '0+' })],
        }),
      ],
    }),
    f('validateOnly', 'bool', '0+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('responses', '[]struct', '0+', {
      fields: [
        f('errorCode', 'int16', '0+'),
        f('errorMessage', 'string', '0+', { nullable: '0+' }),
        f('resourceType', 'int8', '0+'),
        f('resourceName', 'string', '0+'),
      ],
    }),
  ],
});

export type AlterConfigsRequest = RequestOf<typeof AlterConfigsApi>;
export type AlterConfigsResponse = ResponseOf<typeof AlterConfigsApi>;
