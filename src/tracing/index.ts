/// <reference types="node" preserve="true" />
// Tracing: OpenTelemetry spans for records through the producer and the consumer runtime, exported over
// OTLP/HTTP, and the recent slowest records kept in memory for the lab's dashboard.
import { MissingOptionalDependencyError } from '../protocol/optional-module.js';
import { type TracingOptions, validateTracingOptions } from './options.js';
import type { Tracing } from './otel.js';

export * from './hooks.js';
export * from './options.js';
export type { Tracing } from './otel.js';
export * from './recent.js';

/** The packages tracing loads (optional peer dependencies of Sluice). */
export const TRACING_PACKAGES = [
  '@opentelemetry/api',
  '@opentelemetry/core',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-trace',
  '@opentelemetry/exporter-trace-otlp-http',
];

/**
 * Starts tracing for one service (`serviceName` is what Jaeger lists). Loads OpenTelemetry now, on first
 * use: a program that never calls this never loads it. A missing package fails with a
 * `MissingOptionalDependencyError` naming it.
 */
export async function startTracing(options: TracingOptions & { serviceName: string }): Promise<Tracing> {
  validateTracingOptions(options);
  let otel: typeof import('./otel.js');
  try {
    otel = await import('./otel.js');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      const message = (err as Error).message;
      const missing = TRACING_PACKAGES.find((p) => message.includes(`'${p}'`)) ?? TRACING_PACKAGES.join(' ');
      throw new MissingOptionalDependencyError(missing, 'tracing', { cause: err });
    }
    throw err;
  }
  return otel.createTracing(options);
}
export * from './jaeger.js';
