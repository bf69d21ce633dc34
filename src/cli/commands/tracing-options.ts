import { type Command, InvalidArgumentError } from 'commander';
import type { TracingOptions } from '../../tracing/options.js';

/** The tracing flags of the lab and its services: `--otlp-endpoint` turns OpenTelemetry export on. */
export interface TracingFlags {
  otlpEndpoint?: string;
  traceSample: number;
}

function ratio(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) {
    throw new InvalidArgumentError(
      `--trace-sample must be a number from 0 to 1, e.g. 0.01 for one trace in a hundred (got "${value}")`,
    );
  }
  return n;
}

function endpoint(value: string): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InvalidArgumentError(
      `--otlp-endpoint wants an OTLP/HTTP collector URL such as http://127.0.0.1:4318 (got "${value}")`,
    );
  }
  return value;
}

export function addTracingOptions(command: Command): Command {
  return command
    .option(
      '--otlp-endpoint <url>',
      'trace every order with OpenTelemetry and export over OTLP/HTTP to this collector (e.g. http://127.0.0.1:4318; Jaeger takes it)',
      endpoint,
    )
    .option('--trace-sample <ratio>', 'share of new traces kept, 0..1 (with --otlp-endpoint)', ratio, 1);
}

/** The services' tracing options from the flags: none without an endpoint. */
export function tracingFrom(
  flags: TracingFlags,
  otlpEndpoint = flags.otlpEndpoint,
): TracingOptions | undefined {
  if (!otlpEndpoint) return undefined;
  return { otlpEndpoint, sampleRatio: flags.traceSample };
}
