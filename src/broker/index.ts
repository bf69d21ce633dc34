/// <reference types="node" preserve="true" />
// Sluice's declarations use Node's types (Buffer, streams, events): the directive keeps them resolvable in
// projects whose tsconfig lists no `types` (the default from TypeScript 6 on).
// Public surface of the embedded broker.

export {
  type Assignment,
  ConsumerProtocolError,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type Subscription,
  type TopicPartitions,
} from '../protocol/consumer-protocol.js';
export type { ApiHandler, BrokerCore, RequestContext } from './api-handler.js';
export { HandlerRegistry } from './api-handler.js';
export { Broker, type BrokerDeps } from './broker.js';
export {
  BROKER_DEFAULTS,
  type BrokerConfig,
  BrokerConfigError,
  type BrokerOptions,
  type Durability,
  type LogLevel,
  type ProduceQuotaConfig,
  type QuotaMode,
  resolveBrokerConfig,
} from './config.js';
export { OFFSETS_TOPIC } from './groups/broker-groups.js';
export {
  type BrokerGroupsOptions,
  defaultGroupCoordinatorConfig,
  type GroupCoordinatorConfig,
} from './groups/config.js';
export { GroupCoordinator, type MemberAssignment } from './groups/coordinator.js';
export type { GroupState } from './groups/group.js';
export { BrokerMetrics } from './metrics.js';
export { ProduceQuotas, type QuotaDecision } from './quotas.js';
export type { PartitionHandle, TopicStore } from './topic-store.js';
export { TopicStoreError } from './topic-store.js';
