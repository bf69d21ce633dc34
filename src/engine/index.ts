/// <reference types="node" preserve="true" />
// Sluice's declarations use Node's types (Buffer, streams, events): the directive keeps them resolvable in
// projects whose tsconfig lists no `types` (the default from TypeScript 6 on).
export * from './accounting.js';
export * from './bottleneck.js';
export * from './engine.js';
export * from './histogram.js';
export { CLOSED, type Envelope, Inbox } from './inbox.js';
export * from './job.js';
export * from './lineage.js';
export * from './metrics.js';
export * from './pressure.js';
export * from './size.js';
export * from './sources.js';
export * from './types.js';
export * from './worker.js';
