/// <reference types="node" preserve="true" />
// Sluice's declarations use Node's types (Buffer, streams, events): the directive keeps them resolvable in
// projects whose tsconfig lists no `types` (the default from TypeScript 6 on).
// The lag monitor: collection over the Kafka admin protocol, evaluation, alerts, advice, history, metrics.
export * from './advice.js';
export * from './alerts.js';
export * from './config.js';
export * from './kafka-lag-source.js';
export * from './metrics.js';
export * from './monitor.js';
export * from './observation.js';
export * from './reports.js';
export * from './sample-ring.js';
export * from './small-heap.js';
export * from './time-lag.js';
export * from './webhook.js';
export * from './window-rules.js';
