export * from './iterable.js';
export * from './node.js';
export * from './web.js';
