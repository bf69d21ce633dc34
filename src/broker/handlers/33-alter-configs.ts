import { ConfigResourceType } from '../../protocol/apis/32-describe-configs.js';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../../protocol/apis/33-alter-configs.js';
import { AlterConfigsApi } from '../../protocol/apis/33-alter-configs.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, serves } from '../api-handler.js';
import { configDenied, Op } from '../auth/authorize.js';
import { TopicStoreError } from '../topic-store.js';

/**
 * AlterConfigs 0-2 (v2 flexible, what @platformatic/kafka 1.x sends) for topics, e.g. raising retention.ms at run time (the module's Kinesis
 * "increase retention" step). Like Kafka's, it replaces the topic's whole explicit config set.
 */
export const alterConfigsHandler: ApiHandler<AlterConfigsRequest, AlterConfigsResponse> = {
  ...serves(AlterConfigsApi, 0, 2),
  async handle(request, ctx) {
    const { broker } = ctx;
    const responses: AlterConfigsResponse['responses'] = [];
    for (const r of request.resources) {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const denied = configDenied(ctx, Op.ALTER_CONFIGS, r.resourceType, r.resourceName);
      if (denied !== null) {
        responses.push({ ...base, errorCode: denied, errorMessage: 'Authorization failed.' });
        continue;
      }
      if (r.resourceType !== ConfigResourceType.Topic) {
        responses.push({
          ...base,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: 'only topic configs can be altered',
        });
        continue;
      }
      if (broker.store.partitionCount(r.resourceName) === undefined) {
        responses.push({
          ...base,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: `no topic "${r.resourceName}"`,
        });
        continue;
      }
      const configs: Record<string, string> = {};
      for (const c of r.configs) if (c.value !== null) configs[c.name] = c.value;
      try {
        await broker.store.alterConfigs(r.resourceName, configs, {
          replace: true,
          validateOnly: request.validateOnly,
        });
        if (!request.validateOnly)
          broker.log.info({ topic: r.resourceName, configs }, 'topic configs altered');
        responses.push({ ...base, errorCode: 0, errorMessage: null });
      } catch (err) {
        if (!(err instanceof TopicStoreError)) throw err;
        responses.push({ ...base, errorCode: err.errorCode, errorMessage: err.message });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
};
