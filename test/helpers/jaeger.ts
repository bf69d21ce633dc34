import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type RunningJaeger, startJaeger } from '../../src/tracing/jaeger.js';
import { ROOT } from '../lab/helpers.js';

/**
 * The pinned Jaeger that scripts/tracing/jaeger.sh built (.ci/run builds it), started on free ports.
 * Fails, never skips, when it is not built: the message says to run the script.
 */
export async function startTestJaeger(): Promise<RunningJaeger> {
  let binary: string;
  try {
    binary = execFileSync('bash', [join(ROOT, 'scripts', 'tracing', 'jaeger.sh'), '--check'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`${stderr || 'Jaeger is not built'} (the tracing tests need it; .ci/run builds it)`);
  }
  return startJaeger({ binary });
}

/** Jaeger's query API's answer for one trace (GET /api/traces/:id), as it shapes spans. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  /** Microseconds since the epoch. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  tags: { key: string; value: unknown }[];
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

export async function jaegerTrace(jaeger: RunningJaeger, traceId: string): Promise<JaegerTrace | undefined> {
  const res = await fetch(`${jaeger.uiUrl}/api/traces/${traceId}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`Jaeger answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { data: JaegerTrace[] };
  return body.data[0];
}

export const tag = (span: JaegerSpan, key: string): unknown => span.tags.find((t) => t.key === key)?.value;
export const parentOf = (span: JaegerSpan): string | undefined =>
  span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
