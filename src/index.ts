/// <reference types="node" preserve="true" />
// Sluice's declarations use Node's types (Buffer, streams, events): the directive keeps them resolvable in
// projects whose tsconfig lists no `types` (the default from TypeScript 6 on).
// Public entry point. flow and the engine are flat (they are the toolkit people compose); the Kafka
// layers are namespaced because their vocabularies overlap (a broker's TopicPartitions is not a client's).
export * as broker from './broker/index.js';
export * as client from './client/index.js';
export * as consumer from './consumer/index.js';
export * from './engine/index.js';
export * as engineKafka from './engine/kafka/index.js';
export * from './flow/index.js';
export * as lab from './lab/index.js';
export * as monitor from './monitor/index.js';
