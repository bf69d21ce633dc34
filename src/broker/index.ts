// Public surface of the embedded broker.
export { Broker, type BrokerDeps } from './broker.js';
export {
  BROKER_DEFAULTS,
  type BrokerConfig,
  BrokerConfigError,
  type BrokerOptions,
  type Durability,
  type ProduceQuotaConfig,
  type QuotaMode,
  resolveBrokerConfig,
} from './config.js';
export type { ApiHandler, BrokerCore, RequestContext } from './handler.js';
export { HandlerRegistry } from './handler.js';
export { BrokerMetrics } from './metrics.js';
export { ProduceQuotas, type QuotaDecision } from './quotas.js';
export type { PartitionHandle, TopicStore } from './topic-store.js';
export { TopicStoreError } from './topic-store.js';
