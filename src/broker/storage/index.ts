// Public surface of the broker's storage: what the server and handlers code against.
export type { Allocator } from './byte-store.js';
export {
  DEFAULT_LOG_CONFIG,
  type Durability,
  isCompacted,
  type LogConfig,
  validateTopicConfigs,
  validateTopicName,
} from './config.js';
export * from './errors.js';
export { LogManager } from './log-manager.js';
export { type AppendResult, PartitionLog, type ReadResult } from './partition-log.js';
export { ReadBufferPool } from './read-buffers.js';
export type { PartitionRecovery } from './recovery.js';
