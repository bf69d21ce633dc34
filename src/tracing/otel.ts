import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import {
  headerText,
  type ProduceTrace,
  type ProduceTracer,
  type RecordTrace,
  type RecordTracer,
  type RequestTracer,
  TRACE_HEADERS,
  type TraceContext,
  type TracedRecord,
} from './hooks.js';
import { SPAN_NAMES, type TracingOptions } from './options.js';

/**
 * Sluice's tracing over OpenTelemetry. This module imports the @opentelemetry packages and is only ever
 * loaded by `startTracing()` (src/tracing/index.ts), so a program that does not trace never loads them.
 *
 * One provider per service (its `service.name` is what Jaeger lists), not registered globally: Sluice
 * passes contexts explicitly, so it neither needs nor disturbs an application's own global provider.
 * Sampling is parent-based: a record or request that arrives with a sampled `traceparent` is traced, an
 * unsampled one is not, and a new trace is kept with probability `sampleRatio`.
 */
export class Tracing {
  readonly tracer: Tracer;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(
    readonly serviceName: string,
    private readonly provider: TracerProvider,
  ) {
    this.tracer = provider.getTracer('sluice');
  }

  /** The context an incoming carrier (HTTP request headers) continues; the root context without one. */
  extract(carrier: Record<string, string | string[] | undefined>): TraceContext {
    return this.propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
  }

  /** `traceparent` (and `tracestate`) for `context`, as header name → value. */
  inject(context: TraceContext): Record<string, string> {
    const carrier: Record<string, string> = {};
    this.propagator.inject(context as Context, carrier, defaultTextMapSetter);
    return carrier;
  }

  /** Starts a span under `parent` (a new trace without one); `context` is what its children continue. */
  startSpan(
    name: string,
    options: {
      parent?: TraceContext;
      kind?: 'server' | 'internal';
      attributes?: Attributes;
      startTime?: number;
    },
  ): { span: Span; context: TraceContext } {
    const parent = (options.parent as Context | undefined) ?? ROOT_CONTEXT;
    const span = this.tracer.startSpan(
      name,
      {
        kind: options.kind === 'server' ? SpanKind.SERVER : SpanKind.INTERNAL,
        attributes: options.attributes,
        startTime: options.startTime,
      },
      parent,
    );
    return { span, context: trace.setSpan(parent, span) };
  }

  /** The producer's hook: one PRODUCER span per record, carried in its headers. */
  produceTracer(): ProduceTracer {
    return {
      produceStarted: (topic, parent) => this.produceStarted(topic, parent),
    };
  }

  /** An HTTP service's hook: a SERVER span per request, and its admission decision as a child. */
  requestTracer(): RequestTracer {
    return {
      requestStarted: (method, route, headers) => {
        const { span, context } = this.startSpan(`${method} ${route}`, {
          kind: 'server',
          parent: this.extract(headers),
          attributes: { 'http.request.method': method, 'http.route': route },
        });
        return {
          context,
          admission: (startedAt, refused) => {
            const a = this.startSpan(SPAN_NAMES.admission, { parent: context, startTime: startedAt });
            a.span.setAttribute('sluice.admitted', refused === null);
            if (refused !== null) {
              a.span.setAttribute('sluice.refused.reason', refused);
              a.span.setStatus({ code: SpanStatusCode.ERROR, message: `refused: ${refused}` });
            }
            a.span.end();
          },
          ended: (statusCode) => {
            span.setAttribute('http.response.status_code', statusCode);
            if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
            span.end();
          },
        };
      },
    };
  }

  /** The consumer runtime's hook: the record's consumer span and its waits and attempts as children. */
  recordTracer(options: { groupId?: string; sinkName?: string } = {}): RecordTracer {
    return { taken: (record, at) => this.recordTaken(record, at, options) };
  }

  /** Sends what is buffered to the exporter. */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /** Exports what is left and releases the exporter. */
  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }

  private produceStarted(topic: string, parent: TraceContext | undefined): ProduceTrace | undefined {
    const parentContext = (parent as Context | undefined) ?? ROOT_CONTEXT;
    const span = this.tracer.startSpan(
      `${SPAN_NAMES.produce} ${topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': topic,
        },
      },
      parentContext,
    );
    if (!span.isRecording()) {
      // Not sampled: the headers still say so, and the consumer then records nothing either.
      return { headers: this.headersOf(trace.setSpan(parentContext, span)), ended: () => {} };
    }
    return {
      headers: this.headersOf(trace.setSpan(parentContext, span)),
      ended: (outcome) => {
        if (outcome.partition !== undefined) {
          span.setAttribute('messaging.destination.partition.id', String(outcome.partition));
        }
        if (outcome.offset !== undefined) span.setAttribute('messaging.kafka.offset', Number(outcome.offset));
        if (outcome.error !== undefined) failed(span, outcome.error);
        else if (outcome.dropped !== undefined) {
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: `dropped by the producer (${outcome.dropped})`,
          });
        }
        span.end();
      },
    };
  }

  private headersOf(context: Context): { key: string; value: Buffer }[] {
    return Object.entries(this.inject(context)).map(([key, value]) => ({ key, value: Buffer.from(value) }));
  }

  private recordTaken(
    record: TracedRecord,
    at: number,
    options: { groupId?: string; sinkName?: string },
  ): RecordTrace | undefined {
    const parent = this.propagator.extract(
      ROOT_CONTEXT,
      {
        [TRACE_HEADERS.parent]: headerText(record.headers, TRACE_HEADERS.parent),
        [TRACE_HEADERS.state]: headerText(record.headers, TRACE_HEADERS.state),
      },
      defaultTextMapGetter,
    );
    // The record's timestamp is when it was produced: the consumer span covers its whole way from there.
    const producedAt = Math.min(record.timestamp, at);
    const span = this.tracer.startSpan(
      `${SPAN_NAMES.process} ${record.topic}`,
      {
        kind: SpanKind.CONSUMER,
        startTime: producedAt,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': record.topic,
          'messaging.destination.partition.id': String(record.partition),
          'messaging.kafka.offset': Number(record.offset),
          ...(options.groupId && { 'messaging.consumer.group.name': options.groupId }),
          ...(record.key && { 'messaging.kafka.message.key': record.key.toString('utf8', 0, 256) }),
        },
      },
      parent,
    );
    if (!span.isRecording()) return undefined;
    const context = trace.setSpan(parent, span);
    const child = (name: string, start: number, attributes?: Attributes) =>
      this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: start, attributes }, context);
    child(SPAN_NAMES.broker, producedAt).end(at);
    let inFlight: Span | null = child(SPAN_NAMES.inFlight, at);
    let attempt: Span | null = null;
    let deadLetter: Span | null = null;
    const sinkName = options.sinkName ?? 'sink';
    // An abandoned record's attempt may still end afterwards: nothing after `finished` is recorded.
    let finished = false;
    return {
      attemptStarted: (n, when) => {
        if (finished) return;
        inFlight?.end(when);
        inFlight = null;
        attempt = child(`${SPAN_NAMES.sink} ${sinkName}`, when, { 'sluice.attempt': n });
      },
      attemptEnded: (_n, when, error) => {
        if (!attempt || finished) return;
        if (error !== undefined) failed(attempt, error);
        attempt.end(when);
        attempt = null;
      },
      deadLetterStarted: (when) => {
        if (finished) return;
        deadLetter = child(SPAN_NAMES.deadLetter, when);
      },
      finished: (outcome, when, error) => {
        if (finished) return;
        finished = true;
        inFlight?.end(when);
        attempt?.end(when);
        deadLetter?.end(when);
        span.setAttribute('sluice.outcome', outcome);
        if (outcome !== 'done') {
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: error === undefined ? outcome : `${outcome}: ${describe(error)}`,
          });
        }
        span.end(when);
      },
    };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function failed(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: describe(error) });
}

/**
 * A provider for `options`, with an OTLP/HTTP exporter when an endpoint is given.
 * @public loaded through a dynamic import in tracing/index.ts, which keeps OpenTelemetry optional
 */
export function createTracing(options: TracingOptions & { serviceName: string }): Tracing {
  const ratio = options.sampleRatio ?? 1;
  const processors: SpanProcessor[] = [];
  const exporters = [...((options.exporters ?? []) as SpanExporter[])];
  if (options.otlpEndpoint) exporters.push(new OTLPTraceExporter({ url: tracesUrl(options.otlpEndpoint) }));
  for (const exporter of exporters) {
    processors.push(
      new BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: options.exportDelayMs ?? 1000,
        maxQueueSize: 8192,
        maxExportBatchSize: 1024,
      }),
    );
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
    spanProcessors: processors,
  });
  return new Tracing(options.serviceName, provider);
}

/** OTLP/HTTP's traces path on an endpoint given as a base URL (`http://host:4318`) or in full. */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.toString();
}
