import { startTracing } from '../tracing/index.js';
import type { TracingOptions } from '../tracing/options.js';
import type { Tracing } from '../tracing/otel.js';

/** A lab service's OpenTelemetry tracing, started with the service and flushed when it closes. */
export interface ServiceTracing {
  readonly tracing: Tracing;
  /** Exports what is left (bounded: an unreachable collector does not hold the service's shutdown). */
  close(): Promise<void>;
}

const FLUSH_BOUND_MS = 3_000;

export async function startServiceTracing(
  serviceName: string,
  options: TracingOptions,
): Promise<ServiceTracing> {
  // startTracing loads OpenTelemetry on this first use: a lab without tracing never loads it.
  const tracing = await startTracing({ ...options, serviceName });
  return {
    tracing,
    async close() {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        tracing.shutdown().catch(() => {}),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, FLUSH_BOUND_MS);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
