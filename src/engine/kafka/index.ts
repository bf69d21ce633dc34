/// <reference types="node" preserve="true" />
// `sluice/engine/kafka`: the engine's Kafka source and sink and the process runner (`sluice engine run`).
// Kept out of `sluice/engine`, which loads nothing outside Node; this entry adds the Kafka client and
// prom-client.
export * from './io.js';
export * from './job-module.js';
export * from './process.js';
