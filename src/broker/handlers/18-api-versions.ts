import type { ApiVersionsRequest, ApiVersionsResponse } from '../../protocol/apis/18-api-versions.js';
import { ApiVersionsApi } from '../../protocol/apis/18-api-versions.js';
import { type ApiHandler, serves } from '../api-handler.js';

/**
 * ApiVersions 0-3: the table every client negotiates against. The table is whatever the registry
 * holds, so adding a handler advertises it. Unsupported versions never reach here: the dispatcher
 * answers them in the v0 layout with UNSUPPORTED_VERSION, as Kafka does.
 */
export const apiVersionsHandler: ApiHandler<ApiVersionsRequest, ApiVersionsResponse> = {
  ...serves(ApiVersionsApi, 0, 3),
  handle(_request, ctx) {
    return { errorCode: 0, apiKeys: ctx.broker.registry.versions(), throttleTimeMs: 0 };
  },
};
