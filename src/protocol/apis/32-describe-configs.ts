// DescribeConfigs (API key 32): read topic and broker configs.
// Described from Kafka's DescribeConfigsRequest/DescribeConfigsResponse message definitions.
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

/** Kafka's ConfigResource.Type: what a DescribeConfigs / AlterConfigs resource names. */
export const ConfigResourceType = { Topic: 2, Broker: 4 } as const;

export const DescribeConfigsApi = defineApi({
  key: 32,
  name: 'DescribeConfigs',
  versions: '0-4',
  flexible: '4+',
  request: [
    f('resources', '[]struct', '0+', {
      fields: [
        f('resourceType', 'int8', '0+'),
        f('resourceName', 'string', '0+'),
        f('configurationKeys', '[]string', '0+', { nullable: '0+' }),
      ],
    }),
    f('includeSynonyms', 'bool', '1+', { default: false }),
    f('includeDocumentation', 'bool', '3+', { default: false }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('results', '[]struct', '0+', {
      fields: [
        f('errorCode', 'int16', '0+'),
        f('errorMessage', 'string', '0+', { nullable: '0+' }),
        f('resourceType', 'int8', '0+'),
        f('resourceName', 'string', '0+'),
        f('configs', '[]struct', '0+', {
          fields: [
            f('name', 'string', '0+'),
            f('value', 'string', '0+', { nullable: '0+' }),
            f('readOnly', 'bool', '0+'),
            f('isDefault', 'bool', '0'),
            f('configSource', 'int8', '1+', { default: -1 }),
            f('isSensitive', 'bool', '0+'),
            f('synonyms', '[]struct', '1+', {
              fields: [
                f('name', 'string', '1+'),
                f('value', 'string', '1+', { nullable: '0+' }),
                f('source', 'int8', '1+'),
              ],
            }),
            f('configType', 'int8', '3+', { default: 0 }),
            f('documentation', 'string', '3+', { nullable: '0+' }),
          ],
        }),
      ],
    }),
  ],
});

export type DescribeConfigsRequest = RequestOf<typeof DescribeConfigsApi>;
export type DescribeConfigsResponse = ResponseOf<typeof DescribeConfigsApi>;
