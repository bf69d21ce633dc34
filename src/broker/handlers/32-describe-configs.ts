import {
  ConfigResourceType,
  DescribeConfigsApi,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
} from '../../protocol/apis/32-describe-configs.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type ApiHandler, type RequestContext, serves } from '../api-handler.js';
import { configDenied, Op } from '../auth/authorize.js';
import type { BrokerConfigScope, ConfigEntry, ConfigOrigin } from '../topic-store.js';

type Result = DescribeConfigsResponse['results'][number];
type Config = Result['configs'][number];

/** Kafka's ConfigSource values, as DescribeConfigs and CreateTopics report them. */
const SOURCES: Record<ConfigOrigin, number> = {
  topic: 1,
  'dynamic-broker': 2,
  'dynamic-default': 3,
  'static-broker': 4,
  default: 5,
};

/** Kafka's ConfigSource code for where a config value comes from. */
export function configSource(origin: ConfigOrigin): number {
  return SOURCES[origin];
}
const CONFIG_TYPE_UNKNOWN = 0;

/**
 * DescribeConfigs 0-4 for topics (their effective configs, each with the source it comes from) and for
 * this broker: by its id, its settings and the configs changed at run time; by the empty name (Kafka's
 * cluster default, `kafka-configs --entity-default`), the cluster-wide dynamic configs alone. v3 is
 * advertised because @platformatic/kafka 1.x's v2 parser reads v3's config_type and documentation
 * fields; with v3 in range it uses its (correct) v3.
 */
export const describeConfigsHandler: ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> = {
  ...serves(DescribeConfigsApi, 0, 4),
  handle(request, ctx) {
    const results = request.resources.map((r): Result => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const denied = configDenied(ctx, Op.DESCRIBE_CONFIGS, r.resourceType, r.resourceName);
      if (denied !== null)
        return { ...base, errorCode: denied, errorMessage: 'Authorization failed.', configs: [] };
      const entries = resourceConfigs(ctx, r.resourceType, r.resourceName);
      if (typeof entries === 'number') {
        const what = r.resourceType === ConfigResourceType.Topic ? 'topic' : `resource ${r.resourceType}`;
        return { ...base, errorCode: entries, errorMessage: `no ${what} "${r.resourceName}"`, configs: [] };
      }
      const wanted = r.configurationKeys ? new Set(r.configurationKeys) : null;
      const configs = entries
        .filter((e) => wanted === null || wanted.has(e.name))
        .map((e) => describeEntry(e, request.includeSynonyms === true));
      return { ...base, errorCode: 0, errorMessage: null, configs };
    });
    return { throttleTimeMs: 0, results };
  },
};

/** The entries of one resource, or the error code when there is no such resource. */
function resourceConfigs(ctx: RequestContext, type: number, name: string): ConfigEntry[] | number {
  if (type === ConfigResourceType.Topic) {
    if (ctx.broker.store.partitionCount(name) === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    return ctx.broker.store.describeConfigs(name);
  }
  if (type !== ConfigResourceType.Broker) return ErrorCode.INVALID_REQUEST;
  if (name === '') return dynamicEntries(ctx, 'default');
  if (name !== String(ctx.broker.config.nodeId)) return ErrorCode.INVALID_REQUEST;
  return [...staticBrokerConfigs(ctx), ...layeredDynamicEntries(ctx)];
}

function describeEntry(e: ConfigEntry, includeSynonyms: boolean): Config {
  const source = configSource(e.source);
  return {
    name: e.name,
    value: e.value,
    readOnly: e.readOnly,
    isDefault: e.isDefault,
    configSource: source,
    isSensitive: false,
    synonyms: includeSynonyms
      ? (e.synonyms ?? [e]).map((y) => ({ name: y.name, value: y.value, source: configSource(y.source) }))
      : [],
    configType: CONFIG_TYPE_UNKNOWN,
    documentation: null,
  };
}

/** This broker's dynamic configs over the cluster defaults: one entry per name, the layers as synonyms. */
function layeredDynamicEntries(ctx: RequestContext): ConfigEntry[] {
  const own = dynamicEntries(ctx, 'broker');
  const defaults = dynamicEntries(ctx, 'default');
  const names = [...new Set([...own, ...defaults].map((e) => e.name))];
  return names.map((name) => {
    const layers = [...own, ...defaults].filter((e) => e.name === name);
    return { ...layers[0], synonyms: layers };
  });
}

function dynamicEntries(ctx: RequestContext, scope: BrokerConfigScope): ConfigEntry[] {
  const source = scope === 'broker' ? 'dynamic-broker' : 'dynamic-default';
  return Object.entries(ctx.broker.store.brokerConfigs(scope)).map(([name, value]) => ({
    name,
    value,
    isDefault: false,
    readOnly: false,
    source,
  }));
}

function staticBrokerConfigs(ctx: RequestContext): ConfigEntry[] {
  const c = ctx.broker.config;
  const entry = (name: string, value: string): ConfigEntry => ({
    name,
    value,
    isDefault: false,
    readOnly: true,
    source: 'static-broker',
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
