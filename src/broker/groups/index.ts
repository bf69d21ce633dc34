export * from './consumer-protocol.js';
export * from './coordinator.js';
export * from './group.js';
export * from './offset-store.js';
export * from './offsets-topic-format.js';
export * from './offsets-topic-log.js';
export * from './protocol-selection.js';
