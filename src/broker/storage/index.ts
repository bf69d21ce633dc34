// Public surface of the broker's storage: what the server and handlers code against.
export { type Allocator, newStats, type StorageStats } from './byte-store.js';
export {
  DEFAULT_LOG_CONFIG,
  DURABILITIES,
  type Durability,
  isCompacted,
  type LogConfig,
  TOPIC_CONFIG_NAMES,
  validateTopicConfigs,
  validateTopicName,
} from './config.js';
export * from './errors.js';
export { type ConfigEntry, LogManager, type LogManagerOptions, type TopicInfo } from './log-manager.js';
export {
  type AppendOptions,
  type AppendResult,
  PartitionLog,
  type PartitionLogOptions,
  type ReadResult,
} from './partition-log.js';
export { ReadBufferPool } from './read-buffers.js';
export type { PartitionRecovery } from './recovery.js';
