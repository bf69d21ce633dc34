// ApiVersions (API key 18): which APIs and versions the broker speaks.
// Described from Kafka's ApiVersionsRequest/ApiVersionsResponse message definitions.
// Framing notes: the response always uses response header v0 (no tag buffer), even for flexible v3+, and an
// unsupported request version is answered in v0 layout with error 35 (see encodeApiVersionsFallback).
import { defineApi, f, type RequestOf, type ResponseOf } from '../schema.js';

export const ApiVersionsApi = defineApi({
  key: 18,
  name: 'ApiVersions',
  versions: '0-4',
  flexible: '3+',
  request: [f('clientSoftwareName', 'string', '3+'), f('clientSoftwareVersion', 'string', '3+')],
  response: [
    f('errorCode', 'int16', '0+'),
    f('apiKeys', '[]struct', '0+', {
      fields: [f('apiKey', 'int16', '0+'), f('minVersion', 'int16', '0+'), f('maxVersion', 'int16', '0+')],
    }),
    f('throttleTimeMs', 'int32', '1+'),
    f('supportedFeatures', '[]struct', '3+', {
      tag: 0,
      tagged: '3+',
      fields: [f('name', 'string', '3+'), f('minVersion', 'int16', '3+'), f('maxVersion', 'int16', '3+')],
    }),
    f('finalizedFeaturesEpoch', 'int64', '3+', { tag: 1, tagged: '3+', default: -1n }),
    f('finalizedFeatures', '[]struct', '3+', {
      tag: 2,
      tagged: '3+',
      fields: [
        f('name', 'string', '3+'),
        f('maxVersionLevel', 'int16', '3+'),
        f('minVersionLevel', 'int16', '3+'),
      ],
    }),
    f('zkMigrationReady', 'bool', '3+', { tag: 3, tagged: '3+', default: false }),
  ],
});

export type ApiVersionsRequest = RequestOf<typeof ApiVersionsApi>;
export type ApiVersionsResponse = ResponseOf<typeof ApiVersionsApi>;
