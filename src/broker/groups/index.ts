export * from './committed-offsets.js';
export * from './consumer-protocol.js';
export * from './coordinator.js';
export * from './group.js';
export * from './offsets-topic.js';
export * from './offsets-topic-format.js';
export * from './protocol-selection.js';
