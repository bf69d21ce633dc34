/// <reference types="node" preserve="true" />
// Sluice's declarations use Node's types (Buffer, streams, events): the directive keeps them resolvable in
// projects whose tsconfig lists no `types` (the default from TypeScript 6 on).
// Sluice's Kafka client: bounded, visible buffers; fetches sized by the caller.

export * from '../protocol/consumer-protocol.js';
export { MissingOptionalDependencyError } from '../protocol/optional-module.js';
export * from './accumulator.js';
export * from './admin.js';
export * from './assignors.js';
export * from './broker-connection.js';
export * from './cluster.js';
export * from './cluster-for.js';
export * from './connection.js';
export * from './consumer-client.js';
export * from './errors.js';
export * from './fetcher.js';
export * from './group.js';
export * from './message-consumer.js';
export * from './partitioner.js';
export * from './producer.js';
export * from './retry.js';
export type { TransactionOffset, TransactionState } from './transactions.js';
export * from './versions.js';
