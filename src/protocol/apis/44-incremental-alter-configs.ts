// IncrementalAlterConfigs (API key 44): set, delete, append to or subtract from single configs.
// Described from Kafka's IncrementalAlterConfigsRequest/IncrementalAlterConfigsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const IncrementalAlterConfigsApi = defineApi({
  key: 44,
  name: 'IncrementalAlterConfigs',
  versions: '0-1',
  flexible: '1+',
  request: [
    f('resources', '[]struct', '0+', {
      fields: [
        f('resourceType', 'int8', '0+'),
        f('resourceName', 'string', '0+'),
        f('configs', '[]struct', '0+', {
          fields: [
            f('name', 'string', '0+'),
            f('configOperation', 'int8', '0+'),
            f('value', 'string', '0+', { nullable: '0+' }),
          ],
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

export type IncrementalAlterConfigsRequest = RequestOf<typeof IncrementalAlterConfigsApi>;
export type IncrementalAlterConfigsResponse = ResponseOf<typeof IncrementalAlterConfigsApi>;
