// The lab services: producer (:8000), consumers (:8001+), lag monitor (:8010), the one-process lab,
// and the load generator. Each service is a thin HTTP shell over the library object next to it.
export * from './consumer.js';
export * from './consumer-service.js';
export * from './failures.js';
export * from './http.js';
export * from './lab.js';
export * from './load.js';
export * from './monitor-service.js';
export * from './orders.js';
export * from './producer.js';
export * from './producer-service.js';
export * from './setup.js';
export * from './validate.js';
