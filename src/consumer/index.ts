/// <reference types="node" preserve="true" />
// Sluice's declarations use Node's types (Buffer, streams, events): the directive keeps them resolvable in
// projects whose tsconfig lists no `types` (the default from TypeScript 6 on).
// The backpressure-aware consumer runtime: lag lives in the broker, not in the heap.

export { MissingOptionalDependencyError } from '../protocol/optional-module.js';
export * from './backoff.js';
export * from './config.js';
export * from './create.js';
export * from './dead-letter.js';
export * from './dead-letters.js';
export * from './exactly-once.js';
export * from './fixed-limit.js';
export * from './kafka-record-source.js';
export * from './memory-source.js';
export * from './offset-tracker.js';
export * from './runtime.js';
export * from './sink-health.js';
export * from './sinks/index.js';
export * from './types.js';
