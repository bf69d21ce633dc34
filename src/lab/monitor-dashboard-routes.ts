import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Admin, ResourceType } from '../client/admin.js';
import type { Cluster } from '../client/cluster.js';
import { KafkaBrokerError } from '../client/errors.js';
import { defaultDeadLetterTopic } from '../consumer/dead-letter.js';
import { type DeadLetter, DeadLetters } from '../consumer/dead-letters.js';
import { ErrorCode } from '../protocol/errors.js';
import type { OrderTimeline, PartitionTimeShare } from '../tracing/recent.js';
import { BadRequest, objectBody, show, stringField } from './validate.js';

/**
 * What the dashboard needs beyond the monitor's own API, so the browser talks to :8010 only:
 * - `GET /lab/flow`: the producer's and every consumer's /stats and /config in one answer (the path
 *   producer buffer -> broker log -> consumer in-flight -> sink);
 * - `POST /lab/producer/<action>` and `POST /lab/consumers/<action>[?instance=consumer-2]`: the lab's
 *   control calls, forwarded to the services with the caller's Authorization header (no CORS needed);
 * - `GET /cluster/configs`: retention and durability per topic, over DescribeConfigs (works against
 *   a real Kafka cluster too; a broker that refuses a resource leaves those fields empty);
 * - `GET /lab/dead-letters`: the lab topic's dead letters (counts by reason, the latest records) and
 *   `POST /lab/dead-letters/replay {"reason"?: "poison"}`: replays the pending ones once (a POST, so the
 *   lab's token is needed like for every control);
 * - `GET /lab/traces`: the slowest recent orders across every consumer, with their time in the broker, in
 *   flight and in the sink as bars, and per partition the share of time spent waiting vs working.
 * The service URLs come from the lab's own description, and only the lab's known routes are forwarded.
 */

export interface DashboardRouteOptions {
  lab?: { describe(): unknown };
  cluster: Cluster;
  /** How long a forwarded call may take (a burst waits for every acknowledgement; default 60 s). */
  forwardTimeoutMs?: number;
}

const PRODUCER_ACTIONS: Record<string, string> = {
  start: '/start',
  stop: '/stop',
  config: '/config',
  burst: '/burst',
  batch: '/produce/batch',
  produce: '/produce',
};
const CONSUMER_ACTIONS: Record<string, string> = {
  pause: '/pause',
  resume: '/resume',
  config: '/config',
  slow: '/slow',
  fast: '/fast',
};
/** The table's own entry for a name from the URL: `__proto__` or `toString` are not actions. */
function ownEntry(table: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

const TOPIC_KEYS = [
  'retention.ms',
  'retention.bytes',
  'cleanup.policy',
  'segment.bytes',
  'min.insync.replicas',
];
const BROKER_KEYS = ['sluice.durability', 'log.flush.interval.messages', 'log.flush.interval.ms'];
/** Dead letters the panel lists (newest first). */
const LATEST_DEAD_LETTERS = 10;

interface ConsumerTraces {
  orders: number;
  slowest: OrderTimeline[];
  partitions: PartitionTimeShare[];
}

interface LabUrls {
  producer: string | null;
  consumers: { instance: string; url: string }[];
}

function labUrls(describe: unknown): LabUrls {
  const d = (describe ?? {}) as { producer?: unknown; consumers?: unknown };
  const consumers = Array.isArray(d.consumers) ? d.consumers.filter((u) => typeof u === 'string') : [];
  return {
    producer: typeof d.producer === 'string' ? d.producer : null,
    consumers: consumers.map((url, i) => ({ instance: `consumer-${i + 1}`, url })),
  };
}

async function call(
  url: string,
  init: { method: 'GET' | 'POST'; body?: unknown; auth?: string; timeoutMs: number },
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.auth) headers.authorization = init.auth;
  const res = await fetch(url, {
    method: init.method,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: passed on as text.
  }
  return { status: res.status, body };
}

function queryString(req: FastifyRequest, drop: string[] = []): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
    if (!drop.includes(k) && v !== undefined) q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function dashboardRoutes(app: FastifyInstance, options: DashboardRouteOptions): void {
  const admin = new Admin({ cluster: options.cluster });
  app.get('/cluster/configs', () => clusterConfigs(admin));

  const lab = options.lab;
  if (!lab) return;
  const timeoutMs = options.forwardTimeoutMs ?? 60_000;
  const deadLetters = new DeadLetters({ cluster: options.cluster });
  const dlqTopic = () => {
    const topic = (lab.describe() as { topic?: unknown }).topic;
    return typeof topic === 'string' ? defaultDeadLetterTopic(topic) : null;
  };
  app.get('/lab/dead-letters', () => deadLetterSummary(deadLetters, dlqTopic()));
  app.post('/lab/dead-letters/replay', (req) => replayDeadLetters(deadLetters, dlqTopic(), req));
  app.get('/lab/flow', (req) => labFlow(lab, req));
  app.get('/lab/traces', (req) => labTraces(lab, req));
  app.post('/lab/producer/:action', (req, reply) => forwardToProducer(lab, req, reply, timeoutMs));
  app.post('/lab/consumers/:action', (req, reply) => forwardToConsumers(lab, req, reply, timeoutMs));
}

type Lab = NonNullable<DashboardRouteOptions['lab']>;

/** Retention and durability per topic and broker, over DescribeConfigs. */
async function clusterConfigs(admin: Admin) {
  const meta = await admin.describeCluster();
  const pick = (entries: { name: string; value: string | null }[]) =>
    Object.fromEntries(entries.map((e) => [e.name, e.value]));
  const brokers = await Promise.all(
    meta.brokers.map(async (b) => ({
      node_id: b.nodeId,
      configs: pick(
        await admin
          .describeConfigs({ type: ResourceType.Broker, name: String(b.nodeId) }, BROKER_KEYS)
          .catch(() => []),
      ),
    })),
  );
  const topics = [];
  for (const t of meta.topics) {
    if (t.errorCode !== 0) continue;
    const configs = pick(
      await admin.describeConfigs({ type: ResourceType.Topic, name: t.name }, TOPIC_KEYS).catch(() => []),
    );
    const replication = Math.max(0, ...t.partitions.map((p) => p.replicas.length));
    topics.push({ name: t.name, replication_factor: replication, configs });
  }
  topics.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { brokers, topics };
}

/** The dead letters of the lab's topic: counts by reason and the latest records. */
async function deadLetterSummary(deadLetters: DeadLetters, topic: string | null) {
  const empty = { topic, count: 0, pending: 0, replayed: 0, by_reason: {}, latest: [] };
  if (!topic) return empty;
  let letters: DeadLetter[];
  try {
    letters = await deadLetters.read(topic);
  } catch (err) {
    // No dead letter yet, and nothing created the topic.
    if (err instanceof KafkaBrokerError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return empty;
    throw err;
  }
  const byReason: Record<string, number> = {};
  for (const d of letters) byReason[d.reason] = (byReason[d.reason] ?? 0) + 1;
  const replayed = letters.filter((d) => d.replayed).length;
  return {
    topic,
    count: letters.length,
    pending: letters.length - replayed,
    replayed,
    by_reason: byReason,
    latest: letters
      .sort((a, b) => b.timestamp - a.timestamp)
      .slice(0, LATEST_DEAD_LETTERS)
      .map((d) => ({
        partition: d.partition,
        offset: d.offset.toString(),
        timestamp: d.timestamp,
        reason: d.reason,
        error: d.error,
        attempts: d.attempts,
        source: d.source && { ...d.source, offset: d.source.offset.toString() },
        key: d.key?.toString() ?? null,
        replayed: d.replayed,
      })),
  };
}

/** Replays the pending dead letters (of one reason, if given) once. */
async function replayDeadLetters(deadLetters: DeadLetters, topic: string | null, req: FastifyRequest) {
  const body = objectBody(req.body, ['reason'], '{"reason": "poison"}');
  const reason = stringField(body, 'reason', 200);
  if (!topic) throw new BadRequest('the lab describes no topic, so it has no dead-letter topic');
  const r = await deadLetters.replay(topic, { reason });
  return {
    topic,
    matched: r.matched,
    replayed: r.replayed,
    already_replayed: r.alreadyReplayed,
    unroutable: r.unroutable,
    to_topics: r.toTopics,
  };
}

/** The producer's and every consumer's /stats and /config in one answer. */
async function labFlow(lab: Lab, req: FastifyRequest) {
  const urls = labUrls(lab.describe());
  const auth = req.headers.authorization;
  const get = async (base: string, path: string) => {
    try {
      const r = await call(base + path, { method: 'GET', auth, timeoutMs: 2_000 });
      return r.status === 200 ? r.body : null;
    } catch {
      return null;
    }
  };
  const [pStats, pConfig, consumers] = await Promise.all([
    urls.producer ? get(urls.producer, '/stats') : null,
    urls.producer ? get(urls.producer, '/config') : null,
    Promise.all(
      urls.consumers.map(async (c) => ({
        instance: c.instance,
        url: c.url,
        stats: await get(c.url, '/stats'),
      })),
    ),
  ]);
  return {
    producer: urls.producer ? { url: urls.producer, stats: pStats, config: pConfig } : null,
    consumers,
  };
}

/** The slowest recent orders across the consumers, and per partition the time spent waiting vs working. */
async function labTraces(lab: Lab, req: FastifyRequest) {
  const limit = 10;
  const consumers = await Promise.all(
    labUrls(lab.describe()).consumers.map(async (c) => {
      try {
        const r = await call(`${c.url}/traces?limit=${limit}`, {
          method: 'GET',
          auth: req.headers.authorization,
          timeoutMs: 2_000,
        });
        return r.status === 200 ? { instance: c.instance, ...(r.body as ConsumerTraces) } : null;
      } catch {
        return null;
      }
    }),
  );
  const answered = consumers.filter((c): c is ConsumerTraces & { instance: string } => c !== null);
  const slowest = answered
    .flatMap((c) => c.slowest.map((t) => ({ ...t, instance: c.instance })))
    .sort((a, b) => b.total_ms - a.total_ms)
    .slice(0, limit);
  // A partition moves between consumers on a rebalance: its figures are the sum of every owner's.
  const byPartition = new Map<string, PartitionTimeShare>();
  for (const p of answered.flatMap((c) => c.partitions)) {
    const key = `${p.topic}\u0000${p.partition}`;
    const sum = byPartition.get(key) ?? { ...p, orders: 0, waiting_ms: 0, working_ms: 0 };
    sum.orders += p.orders;
    sum.waiting_ms += p.waiting_ms;
    sum.working_ms += p.working_ms;
    const all = sum.waiting_ms + sum.working_ms;
    sum.waiting_share = all > 0 ? sum.waiting_ms / all : null;
    byPartition.set(key, sum);
  }
  return {
    orders: answered.reduce((n, c) => n + c.orders, 0),
    consumers: answered.map((c) => c.instance),
    slowest,
    partitions: [...byPartition.values()].sort((a, b) => a.partition - b.partition),
  };
}

/** A known producer control call, forwarded with the caller's Authorization header. */
async function forwardToProducer(lab: Lab, req: FastifyRequest, reply: FastifyReply, timeoutMs: number) {
  const action = (req.params as { action: string }).action;
  const path = ownEntry(PRODUCER_ACTIONS, action);
  if (!path) {
    throw new BadRequest(
      `unknown producer action ${show(action)}; use one of ${Object.keys(PRODUCER_ACTIONS).join(', ')}`,
    );
  }
  const { producer } = labUrls(lab.describe());
  if (!producer) return reply.code(503).send({ error: 'unavailable', message: 'the lab has no producer' });
  const r = await call(producer + path + queryString(req), {
    method: 'POST',
    body: req.body,
    auth: req.headers.authorization,
    timeoutMs,
  });
  return reply.code(r.status).send(r.body);
}

/** A known consumer control call, forwarded to one consumer (`?instance=`) or all of them. */
async function forwardToConsumers(lab: Lab, req: FastifyRequest, reply: FastifyReply, timeoutMs: number) {
  const action = (req.params as { action: string }).action;
  const path = ownEntry(CONSUMER_ACTIONS, action);
  if (!path) {
    throw new BadRequest(
      `unknown consumer action ${show(action)}; use one of ${Object.keys(CONSUMER_ACTIONS).join(', ')}`,
    );
  }
  const instance = ((req.query ?? {}) as Record<string, unknown>).instance;
  const all = labUrls(lab.describe()).consumers;
  const targets = instance === undefined ? all : all.filter((c) => c.instance === instance);
  if (targets.length === 0) {
    throw new BadRequest(
      `no consumer "${String(instance)}" in the lab; running: ${all.map((c) => c.instance).join(', ') || 'none'}`,
    );
  }
  const results = await Promise.all(
    targets.map(async (c) => {
      const r = await call(c.url + path + queryString(req, ['instance']), {
        method: 'POST',
        body: req.body,
        auth: req.headers.authorization,
        timeoutMs,
      });
      return { instance: c.instance, status: r.status, body: r.body };
    }),
  );
  const worst = results.reduce((s, r) => Math.max(s, r.status), 0);
  return reply.code(worst).send({ consumers: results });
}
