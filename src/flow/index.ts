export * from './channel.js';
export * from './clock.js';
export * from './credits.js';
export * from './errors.js';
export * from './ring-buffer.js';
export * from './thrashing.js';
export * from './watermarks.js';
