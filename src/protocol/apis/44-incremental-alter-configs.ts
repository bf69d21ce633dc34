// IncrementalAlterConfigs (API key 44): set, delete, append to or subtract from single configs.
// Described from Kafka's IncrementalAlterConfigsRequest/IncrementalAlterConfigsResponse message definitions.
import { defineApi, f } from '../schema.js';

export interface IncrementalAlterConfigsRequest {
  resources: Array<{
    resourceType: number;
    resourceName: string;
    configs: Array<{ name: string; configOperation: number; value: string | null }>;
  }>;
  validateOnly: boolean;
}

export interface IncrementalAlterConfigsResponse {
  throttleTimeMs: number;
  responses: Array<{
    errorCode: number;
    errorMessage: string | null;
    resourceType: number;
    resourceName: string;
  }>;
}

export const IncrementalAlterConfigsApi = defineApi<
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse
>({
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
