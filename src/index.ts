// Public entry point: re-exports each layer's public API as it lands.
export * as consumer from './consumer/index.js';
