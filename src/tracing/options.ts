/** Tracing's options and span names: plain data, nothing of OpenTelemetry loaded. */

export class TracingConfigError extends Error {
  override readonly name = 'TracingConfigError';
}

export interface TracingOptions {
  /** Share of new traces kept, 0..1 (default 1). A record or request with a `traceparent` follows its sampled flag. */
  sampleRatio?: number;
  /** Export over OTLP/HTTP to this collector (`http://127.0.0.1:4318`, or the full `/v1/traces` URL). Off by default. */
  otlpEndpoint?: string;
  /** Span exporters of your own (e.g. OpenTelemetry's `InMemorySpanExporter` in a test). */
  exporters?: unknown[];
  /** How long spans wait in the batch before export (default 1000 ms). */
  exportDelayMs?: number;
}

/** The span names Sluice records; the dashboard and the tests read spans by these. */
export const SPAN_NAMES = {
  /** The lab producer's admission control deciding on a request. */
  admission: 'admission',
  /** One record through the client producer, until the broker acknowledged it (`send orders`). */
  produce: 'send',
  /** One record through the consumer runtime, from its timestamp to done (`process orders`). */
  process: 'process',
  /** From the record's timestamp until the runtime fetched it: the backlog. */
  broker: 'waiting in the broker',
  /** From the fetch until the sink took it: waiting for a concurrency slot or the record ahead. */
  inFlight: 'in flight',
  /** One sink attempt (`sink simulated`). */
  sink: 'sink',
  /** Publishing to the dead-letter topic after the last attempt failed. */
  deadLetter: 'dead letter',
} as const;

/** Checks options at the edge, with what to do instead. */
export function validateTracingOptions(options: TracingOptions): void {
  const r = options.sampleRatio;
  if (r !== undefined && !(typeof r === 'number' && r >= 0 && r <= 1)) {
    throw new TracingConfigError(
      `the trace sample ratio must be a number from 0 to 1 (got ${String(r)}); 0.01 keeps one trace in a hundred`,
    );
  }
  const e = options.otlpEndpoint;
  if (e !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(e);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new TracingConfigError(
        `the OTLP endpoint must be an http(s) URL such as http://127.0.0.1:4318 (got ${JSON.stringify(e)})`,
      );
    }
  }
}
