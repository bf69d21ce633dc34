/**
 * The few points where the client's producer and the consumer runtime tell a tracer what happened to a
 * record. Nothing here loads OpenTelemetry: the runtime and the producer hold an optional tracer and skip
 * every call when there is none, so tracing off costs one `undefined` check per record.
 * `src/tracing/otel.ts` implements them with OpenTelemetry spans; `RecentTraces` keeps the slowest recent
 * records for the lab's dashboard; `fanOut` combines several.
 */

/**
 * A trace context as OpenTelemetry's `Context` (from `@opentelemetry/api`) is shaped: declared here so that
 * Sluice's typings do not need that package.
 */
export interface TraceContext {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): TraceContext;
  deleteValue(key: symbol): TraceContext;
}

/** The W3C trace-context header names, as Kafka instrumentations write them into record headers. */
export const TRACE_HEADERS = { parent: 'traceparent', state: 'tracestate' } as const;

/**
 * What a tracer reads of a fetched record (the client's `FetchedRecord` has these fields): declared here
 * so that the client, which calls the producer's hooks, and this room do not import each other.
 */
export interface TracedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: number;
  key: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

/** The consumer runtime's hooks, per record. */
export interface RecordTracer {
  /** The runtime took `record` in (fetched, within its credits) at `at` (the runtime's clock, ms). */
  taken(record: TracedRecord, at: number): RecordTrace | undefined;
}

export type RecordOutcome = 'done' | 'dead-lettered' | 'skipped' | 'abandoned';

export interface RecordTrace {
  /** The sink's attempt `attempt` (1 = first try) began. */
  attemptStarted(attempt: number, at: number): void;
  /** That attempt ended; `error` when it failed (a retry or dead letter follows). */
  attemptEnded(attempt: number, at: number, error?: unknown): void;
  /** Retries exhausted: publishing to the dead-letter topic began. */
  deadLetterStarted(at: number): void;
  /** The record is finished with (its offset may be committed), or given up on. */
  finished(outcome: RecordOutcome, at: number, error?: unknown): void;
}

/** The client producer's hook, per record. */
export interface ProduceTracer {
  /**
   * A record is about to enter the producer's buffer: start its produce span (a child of `parent`, or a
   * new trace without one) and return the headers that carry it (`traceparent`, `tracestate`).
   */
  produceStarted(topic: string, parent: TraceContext | undefined): ProduceTrace | undefined;
}

export interface ProduceTrace {
  readonly headers: { key: string; value: Buffer }[];
  /** Acknowledged (`partition`/`offset`), refused by the overflow policy (`dropped`), or failed (`error`). */
  ended(outcome: { partition?: number; offset?: bigint; dropped?: string; error?: unknown }): void;
}

/** An HTTP service's hook (the lab producer): one server span per request, continuing its `traceparent`. */
export interface RequestTracer {
  requestStarted(
    method: string,
    route: string,
    headers: Record<string, string | string[] | undefined>,
  ): RequestTrace;
}

export interface RequestTrace {
  /** What work done for this request continues (the records it produces). */
  readonly context: TraceContext;
  /** Admission control decided between `startedAt` and now (ms since the epoch); `refused`: its reason. */
  admission(startedAt: number, refused: string | null): void;
  ended(statusCode: number): void;
}

/** One tracer that calls each of `tracers` (undefined ones left out); undefined when none is left. */
export function fanOut(...tracers: (RecordTracer | undefined)[]): RecordTracer | undefined {
  const list = tracers.filter((t): t is RecordTracer => t !== undefined);
  if (list.length <= 1) return list[0];
  return {
    taken(record, at) {
      const traces = list.map((t) => t.taken(record, at)).filter((t): t is RecordTrace => t !== undefined);
      if (traces.length === 0) return undefined;
      return {
        attemptStarted: (attempt, when) => {
          for (const t of traces) t.attemptStarted(attempt, when);
        },
        attemptEnded: (attempt, when, error) => {
          for (const t of traces) t.attemptEnded(attempt, when, error);
        },
        deadLetterStarted: (when) => {
          for (const t of traces) t.deadLetterStarted(when);
        },
        finished: (outcome, when, error) => {
          for (const t of traces) t.finished(outcome, when, error);
        },
      };
    },
  };
}

/** The value of header `key` (first occurrence) as text, if present. */
export function headerText(headers: TracedRecord['headers'], key: string): string | undefined {
  for (const h of headers) if (h.key === key && h.value) return h.value.toString('latin1');
  return undefined;
}
