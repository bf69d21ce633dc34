// Public entry point: re-exports each layer's public API as it lands.

export * from './broker/index.js';
export * from './client/index.js';
export * as consumer from './consumer/index.js';
export * from './engine/index.js';
export * from './flow/index.js';
export * as lab from './lab/index.js';
export * from './monitor/index.js';
