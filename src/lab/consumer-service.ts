import type { FastifyInstance } from 'fastify';
import type { ShutdownReport } from '../consumer/runtime.js';
import type { TracingOptions } from '../tracing/options.js';
import { OrderConsumer, type OrderConsumerOptions, PROCESSING_TIME_RANGE } from './consumer.js';
import { FAILURE_KINDS, type FailureKind } from './failures.js';
import { createHttp, type HttpOptions, listen, startService } from './http.js';
import type { RunningService } from './producer-service.js';
import { commitStartOffsets, ensureTopic } from './setup.js';
import { type ServiceTracing, startServiceTracing } from './tracing.js';
import {
  BadRequest,
  boolField,
  intField,
  numberField,
  objectBody,
  queryInt,
  stringField,
} from './validate.js';

/** Consumer service (:8001, more on :8002, :8003 in the same group): the seed lab's API over an {@link OrderConsumer}. */

export interface ConsumerServiceOptions extends OrderConsumerOptions {
  http: HttpOptions;
  /** Partitions to create the topic with when it does not exist yet (default 6, the lab's). */
  partitions?: number;
  /**
   * Trace every order with OpenTelemetry (service name `sluice-consumer`), continuing the trace in its
   * headers, exported over OTLP/HTTP when `otlpEndpoint` is given. Off by default; GET /traces (the
   * in-memory timelines) works either way.
   */
  tracing?: TracingOptions;
}

export interface RunningConsumer extends Omit<RunningService, 'close'> {
  readonly consumer: OrderConsumer;
  /** Stops the consumer (bounded by its grace period, broker or not), then the HTTP server. */
  close(): Promise<ShutdownReport>;
}

export const DEFAULT_SLOW_MS = 2000;
export const DEFAULT_FAST_MS = 50;

export function consumerRoutes(app: FastifyInstance, consumer: OrderConsumer): void {
  const status = () => ({ status: consumer.paused ? 'paused' : 'healthy', ...consumer.config() });
  app.get('/health', async () => ({
    status: 'healthy',
    service: 'consumer',
    instance: consumer.instance,
    paused: consumer.paused,
    state: consumer.runtime.stats().state,
  }));
  app.get('/config', async () => consumer.config());
  app.get('/stats', async () => consumer.stats());
  app.get('/traces', async (req) => {
    const limit = queryInt(req.query, 'limit', { min: 1, max: 100 }, 10);
    return { instance: consumer.instance, ...consumer.traces.snapshot(limit) };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', consumer.metrics.contentType);
    return consumer.metrics.metrics();
  });
  app.post('/config', async (req) => {
    const body = objectBody(
      req.body,
      ['processing_time_ms', 'paused', 'failure_rate', 'failure', 'poison_fixed'],
      '{"processing_time_ms": 100, "failure_rate": 0.5, "failure": "transient"}',
    );
    const ms = intField(body, 'processing_time_ms', PROCESSING_TIME_RANGE);
    const paused = boolField(body, 'paused');
    const rate = numberField(body, 'failure_rate', { min: 0, max: 1 });
    const kind = stringField(body, 'failure', 20);
    if (kind !== undefined && !FAILURE_KINDS.includes(kind as FailureKind)) {
      throw new BadRequest(
        `"failure" must be ${FAILURE_KINDS.map((k) => `"${k}"`).join(' or ')} (got ${JSON.stringify(kind)})`,
      );
    }
    const poisonFixed = boolField(body, 'poison_fixed');
    consumer.setFailures({ rate, kind: kind as FailureKind | undefined, poisonFixed });
    if (ms !== undefined) consumer.setProcessingTime(ms);
    if (paused === true) consumer.pause();
    if (paused === false) consumer.resume();
    return { ...status(), status: 'configured' };
  });
  app.post('/pause', async (req) => {
    objectBody(req.body, [], '{}');
    consumer.pause();
    return { ...status(), status: 'paused' };
  });
  app.post('/resume', async (req) => {
    objectBody(req.body, [], '{}');
    consumer.resume();
    return { ...status(), status: 'resumed' };
  });
  const setTime =
    (mode: 'slow' | 'fast', fallback: number) => async (req: { query: unknown; body: unknown }) => {
      objectBody(req.body, [], '{}');
      const ms = queryInt(req.query, 'time_ms', PROCESSING_TIME_RANGE, fallback);
      consumer.setProcessingTime(ms);
      return { ...status(), status: `${mode} mode` };
    };
  app.post('/slow', setTime('slow', DEFAULT_SLOW_MS));
  app.post('/fast', setTime('fast', DEFAULT_FAST_MS));
}

export async function startConsumerService(options: ConsumerServiceOptions): Promise<RunningConsumer> {
  const tracing: ServiceTracing | null = options.tracing
    ? await startServiceTracing('sluice-consumer', options.tracing)
    : null;
  const consumer = new OrderConsumer({
    ...options,
    tracer: tracing?.tracing.recordTracer({
      groupId: options.groupId ?? 'order-processors',
      sinkName: typeof options.sink === 'object' ? options.sink.name : (options.sink ?? 'simulated'),
    }),
  });
  const app = createHttp('consumer', options.http);
  consumerRoutes(app, consumer);
  const service = await startService(
    { app, stop: () => consumer.stop(), release: () => tracing?.close() },
    async () => {
      // Listen first: a port already taken fails before the instance joins (and rebalances) the group.
      const address = await listen(app, options.http);
      if (options.brokers) {
        await ensureTopic(
          options.brokers,
          consumer.topic,
          options.partitions ?? 6,
          options.clock,
          options.security,
        );
        // One partition: dead letters are few, and one log keeps them in the order they failed.
        if (consumer.deadLetterTopic)
          await ensureTopic(options.brokers, consumer.deadLetterTopic, 1, options.clock, options.security);
        await commitStartOffsets(
          options.brokers,
          consumer.topic,
          consumer.groupId,
          options.clock,
          options.security,
        );
      }
      await consumer.start();
      return address;
    },
  );
  return { name: consumer.instance, app, consumer, ...service };
}
