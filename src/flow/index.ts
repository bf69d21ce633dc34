/// <reference types="node" preserve="true" />
// Sluice's declarations use Node's types (Buffer, streams, events): the directive keeps them resolvable in
// projects whose tsconfig lists no `types` (the default from TypeScript 6 on).
/**
 * Sluice flow control: dependency-free primitives, every one of them on an injectable Clock.
 *
 * ```ts
 * import { AdmissionGate, batches, Channel, GradientLimit, Limiter, ThrashingDetector, Watermarks } from 'sluice/flow';
 *
 * const pressure = new Watermarks({ high: 800, low: 200 });
 * const queue = new Channel<Order>({ capacity: 1000, policy: 'block', watermarks: pressure });
 * pressure.onChange((e) => log.warn(`backpressure ${e.transition} at depth ${e.level}`));
 * new ThrashingDetector({ windowMs: 60_000 }).watch(pressure);
 *
 * await queue.send(order);                              // waits while the queue is full
 * for await (const batch of batches(queue, 100)) ...    // or receive(), receiveMany(), for await
 *
 * const gate = new AdmissionGate({ maxQueueDepth: 1000, drainRatePerSec: 500, signals: () => ({ queueDepth: queue.depth }) });
 * const decision = gate.admit('optional');              // { admitted: false, retryAfterMs, ... } → 429
 *
 * const db = new Limiter({ limit: new GradientLimit() }); // adapts to the sink's latency
 * await db.run(() => upsert(order));
 * ```
 */
export * from './admission.js';
export * from './channel.js';
export * from './clock.js';
export * from './concurrency.js';
export * from './credits.js';
export * from './errors.js';
export * from './interop/index.js';
export * from './ring-buffer.js';
export * from './simulation/index.js';
export * from './thrashing.js';
export * from './token-bucket.js';
export * from './watermarks.js';
