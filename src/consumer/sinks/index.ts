export * from './http.js';
export * from './postgres.js';
export * from './simulated.js';
export * from './stdout.js';
