import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Priority } from '../flow/admission.js';
import type { RequestTrace, RequestTracer, TraceContext } from '../tracing/hooks.js';
import type { TracingOptions } from '../tracing/options.js';
import { createHttp, type HttpOptions, listen, startService, tooManyRequests } from './http.js';
import {
  BATCH_SIZE_RANGE,
  isBufferFull,
  LabBusyError,
  MAX_AUTO_RATE,
  OrderProducer,
  type OrderProducerOptions,
  RATE_MS_RANGE,
} from './producer.js';
import { ensureTopic } from './setup.js';
import { type ServiceTracing, startServiceTracing } from './tracing.js';
import {
  BadRequest,
  boolField,
  intField,
  numberField,
  objectBody,
  queryInt,
  show,
  stringField,
} from './validate.js';

/**
 * Producer service (:8000): the seed lab's API over an {@link OrderProducer}. Every route maps onto one
 * method; validation happens here and refusals carry a reason.
 */

export const MAX_BATCH = 10_000;
export const MAX_BURST = 100_000;

export interface ProducerServiceOptions extends OrderProducerOptions {
  http: HttpOptions;
  /** Partitions to create the topic with when it does not exist yet (default 6, the lab's). */
  partitions?: number;
  /**
   * Trace every request and order with OpenTelemetry (service name `sluice-producer`): a server span per
   * request continuing its `traceparent`, admission and a produce span per order, exported over OTLP/HTTP
   * when `otlpEndpoint` is given. Off by default.
   */
  tracing?: TracingOptions;
}

export interface RunningService {
  readonly name: string;
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export interface RunningProducer extends Omit<RunningService, 'close'> {
  /** Stops the producer (its flush bounded by `timeoutMs`, default 5 s), then the HTTP server. */
  close(timeoutMs?: number): Promise<{ undelivered: number }>;
  readonly producer: OrderProducer;
}

function priorityOf(query: unknown): Priority {
  const p = ((query ?? {}) as Record<string, unknown>).priority;
  if (p === undefined) return 'normal';
  if (p === 'critical' || p === 'normal' || p === 'optional') return p;
  throw new BadRequest(`query parameter "priority" must be critical, normal or optional (got ${show(p)})`);
}

/** Server spans for the POST routes, when the service traces; `contextOf` is what the orders continue. */
function traceRequests(app: FastifyInstance, tracer: RequestTracer | undefined) {
  const traces = new WeakMap<FastifyRequest, RequestTrace>();
  if (tracer) {
    app.addHook('onRequest', async (req) => {
      if (req.method !== 'POST') return;
      traces.set(req, tracer.requestStarted(req.method, req.url.split('?')[0], req.headers));
    });
    app.addHook('onResponse', async (req, reply) => traces.get(req)?.ended(reply.statusCode));
  }
  return (req: FastifyRequest) => traces.get(req);
}

export function producerRoutes(app: FastifyInstance, producer: OrderProducer, tracer?: RequestTracer): void {
  const traceOf = traceRequests(app, tracer);
  const contextOf = (req: FastifyRequest): TraceContext | undefined => traceOf(req)?.context;
  const refused = (req: FastifyRequest, reply: FastifyReply, priority: Priority): boolean => {
    const startedAt = Date.now();
    const r = producer.admit(priority);
    traceOf(req)?.admission(startedAt, r ? r.decision.reason : null);
    if (!r) return false;
    tooManyRequests(reply, r.decision.retryAfterMs, {
      reason: r.decision.reason,
      message: r.decision.message,
      pressure: Math.round(r.decision.pressure * 1000) / 1000,
    });
    return true;
  };

  app.get('/health', async () => ({
    status: 'healthy',
    service: 'producer',
    topic: producer.topic,
    running: producer.running,
  }));
  app.get('/config', async () => producer.config());
  app.get('/stats', async () => producer.stats());
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', producer.metrics.contentType);
    return producer.metrics.metrics();
  });

  app.post('/produce', async (req, reply) => {
    const order = orderFromBody(req.body);
    if (refused(req, reply, priorityOf(req.query))) return reply;
    try {
      return await produceOrder(producer, order, contextOf(req));
    } catch (err) {
      return produceFailed(reply, err);
    }
  });

  app.post('/produce/batch', async (req, reply) => {
    objectBody(req.body, [], '{}');
    const count = queryInt(req.query, 'count', { min: 1, max: MAX_BATCH }, 10);
    const priority = priorityOf(req.query);
    if (refused(req, reply, priority)) return reply;
    try {
      const r = await producer.produce(count, { context: contextOf(req) });
      return { status: 'produced', count, ...r };
    } catch (err) {
      return produceFailed(reply, err);
    }
  });

  app.post('/burst', async (req, reply) => {
    const body = objectBody(req.body, ['count', 'delay_ms'], '{"count": 100, "delay_ms": 10}');
    const count = intField(body, 'count', { min: 1, max: MAX_BURST }) ?? 100;
    const delayMs = intField(body, 'delay_ms', { min: 0, max: 60_000 }) ?? 10;
    const priority = priorityOf(req.query);
    if (refused(req, reply, priority)) return reply;
    try {
      const r = await producer.burst(count, delayMs, contextOf(req));
      return { status: 'burst complete', count, delay_ms: delayMs, ...r };
    } catch (err) {
      return produceFailed(reply, err);
    }
  });

  app.post('/start', async (req) => {
    objectBody(req.body, [], '{}');
    return { status: 'started', ...producer.configure({ running: true }) };
  });
  app.post('/stop', async (req) => {
    objectBody(req.body, [], '{}');
    return {
      status: 'stopped',
      ...producer.configure({ running: false }),
      produced: producer.stats().produced,
    };
  });
  app.post('/config', async (req) => configureFromBody(producer, req.body));
}

/** `POST /produce`'s body: an order's customer and amount (random when absent) and whether it is poison. */
function orderFromBody(body: unknown) {
  const fields = objectBody(body, ['customer', 'amount', 'poison'], '{"customer": "cust-0042"}');
  const customer = stringField(fields, 'customer', 100);
  const amount = numberField(fields, 'amount', { min: 0, max: 1_000_000 });
  const poison = boolField(fields, 'poison') ?? false;
  return {
    set: { ...(customer !== undefined && { customer }), ...(amount !== undefined && { amount }) },
    poison,
  };
}

async function produceOrder(
  producer: OrderProducer,
  order: ReturnType<typeof orderFromBody>,
  context: TraceContext | undefined,
) {
  const r = await producer.produce(1, { returnOrders: true, set: order.set, poison: order.poison, context });
  return {
    status: 'produced',
    order: r.orders?.[0],
    ...(order.poison && { poison: true }),
    partition: Number(Object.keys(r.partitions)[0] ?? -1),
    offset: r.offset,
  };
}

/** Why a produce call failed, as the HTTP answer a client can act on (retry later, or not). */
function produceFailed(reply: FastifyReply, err: unknown) {
  if (err instanceof LabBusyError) {
    return tooManyRequests(reply, 1000, { reason: err.reason, message: err.message });
  }
  if (isBufferFull(err)) {
    return reply
      .code(503)
      .header('retry-after', '1')
      .send({
        error: 'buffer_full',
        message: `${(err as Error).message}; the broker is not keeping up, retry later`,
      });
  }
  return reply.code(502).send({ error: 'produce_failed', message: (err as Error).message });
}

/** `POST /config`: the auto-producer's rate, batch size and running flag, within its rate ceiling. */
function configureFromBody(producer: OrderProducer, body: unknown) {
  const fields = objectBody(
    body,
    ['rate_ms', 'batch_size', 'running'],
    '{"rate_ms": 100, "batch_size": 10, "running": true}',
  );
  const rateMs = intField(fields, 'rate_ms', RATE_MS_RANGE);
  const batchSize = intField(fields, 'batch_size', BATCH_SIZE_RANGE);
  const running = boolField(fields, 'running');
  const current = producer.config();
  const perSecond = ((batchSize ?? current.batch_size) * 1000) / (rateMs ?? current.rate_ms);
  if (perSecond > MAX_AUTO_RATE) {
    throw new BadRequest(
      `"batch_size" ${batchSize ?? current.batch_size} every "rate_ms" ${rateMs ?? current.rate_ms} is ${Math.round(perSecond).toLocaleString('en-US')} orders/s; ` +
        `the auto-producer runs at most ${MAX_AUTO_RATE.toLocaleString('en-US')} orders/s (e.g. {"rate_ms": 100, "batch_size": 1000}); use /burst or sluice load for more`,
    );
  }
  const cfg = producer.configure({ rateMs, batchSize, running });
  return {
    status: 'configured',
    ...cfg,
    messages_per_second: Math.round((cfg.batch_size * 1000 * 100) / cfg.rate_ms) / 100,
  };
}

export async function startProducerService(options: ProducerServiceOptions): Promise<RunningProducer> {
  const tracing: ServiceTracing | null = options.tracing
    ? await startServiceTracing('sluice-producer', options.tracing)
    : null;
  const producer = new OrderProducer({ ...options, tracer: tracing?.tracing.produceTracer() });
  const app = createHttp('producer', options.http);
  producerRoutes(app, producer, tracing?.tracing.requestTracer());
  // The producer stops first: its close is bounded, while the server waits for requests that wait on it.
  const service = await startService(
    { app, stop: (timeoutMs) => producer.close(timeoutMs), release: () => tracing?.close() },
    async () => {
      if (options.brokers)
        await ensureTopic(
          options.brokers,
          producer.topic,
          options.partitions ?? 6,
          options.clock,
          options.security,
        );
      await producer.connect();
      return listen(app, options.http);
    },
  );
  return { name: 'producer', app, producer, ...service };
}
