import type {
  DescribeConfigsRequest,
  DescribeConfigsResponse,
} from '../../protocol/apis/32-describe-configs.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler, RequestContext } from '../handler.js';
import type { ConfigEntry } from '../topic-store.js';

type Result = DescribeConfigsResponse['results'][number];
type Config = Result['configs'][number];

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
const SOURCE_TOPIC = 1;
const SOURCE_STATIC_BROKER = 4;
const SOURCE_DEFAULT = 5;
const CONFIG_TYPE_UNKNOWN = 0;

/**
 * DescribeConfigs 0-3 for topics (their effective configs) and for this broker (read-only settings).
 * v3 is advertised because @platformatic/kafka 1.x's v2 parser reads v3's config_type and
 * documentation fields; with v3 in range it uses its (correct) v3.
 */
export const describeConfigsHandler: ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> = {
  apiKey: 32,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 3,
  handle(request, ctx) {
    const results = request.resources.map((r): Result => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      let entries: ConfigEntry[];
      let explicitSource = SOURCE_TOPIC;
      if (r.resourceType === RESOURCE_TOPIC) {
        if (ctx.broker.store.partitionCount(r.resourceName) === undefined) {
          return {
            ...base,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: `no topic "${r.resourceName}"`,
            configs: [],
          };
        }
        entries = ctx.broker.store.describeConfigs(r.resourceName);
      } else if (
        r.resourceType === RESOURCE_BROKER &&
        (r.resourceName === '' || r.resourceName === String(ctx.broker.config.nodeId))
      ) {
        entries = brokerConfigs(ctx);
        explicitSource = SOURCE_STATIC_BROKER;
      } else {
        return {
          ...base,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `unsupported resource ${r.resourceType}/${r.resourceName}`,
          configs: [],
        };
      }
      const wanted = r.configurationKeys ? new Set(r.configurationKeys) : null;
      const configs = entries
        .filter((e) => wanted === null || wanted.has(e.name))
        .map((e): Config => {
          const source = e.isDefault ? SOURCE_DEFAULT : explicitSource;
          return {
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            isDefault: e.isDefault,
            configSource: source,
            isSensitive: false,
            synonyms: request.includeSynonyms ? [{ name: e.name, value: e.value, source }] : [],
            configType: CONFIG_TYPE_UNKNOWN,
            documentation: null,
          };
        });
      return { ...base, errorCode: 0, errorMessage: null, configs };
    });
    return { throttleTimeMs: 0, results };
  },
};

function brokerConfigs(ctx: RequestContext): ConfigEntry[] {
  const c = ctx.broker.config;
  const entry = (name: string, value: string): ConfigEntry => ({
    name,
    value,
    isDefault: false,
    readOnly: true,
  });
  return [
    entry('broker.id', String(c.nodeId)),
    entry('num.partitions', String(c.defaultPartitions)),
    entry('auto.create.topics.enable', String(c.autoCreateTopics)),
    entry('message.max.bytes', String(c.messageMaxBytes)),
    entry('socket.request.max.bytes', String(c.maxRequestBytes)),
    entry('connections.max.idle.ms', String(c.connectionsMaxIdleMs)),
    entry('log.dirs', c.dataDir),
    entry('sluice.durability', c.durability),
  ];
}
