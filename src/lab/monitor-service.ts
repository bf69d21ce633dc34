import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Admin } from '../client/admin.js';
import { Cluster } from '../client/cluster.js';
import { LagMonitor, type LagMonitorOptions } from '../monitor/monitor.js';
import type { ClusterReport, LagReport } from '../monitor/reports.js';
import { createHttp, type HttpOptions, listen, startService } from './http.js';
import { dashboardRoutes } from './monitor-dashboard-routes.js';
import type { RunningService } from './producer-service.js';
import { BadRequest, intField, LabConfigError, objectBody, queryInt } from './validate.js';

/**
 * Lag monitor service (:8010): the seed lab's monitor API over a {@link LagMonitor}, plus what the
 * dashboard needs: Server-Sent Events with a snapshot every collection, JSON for the cluster view, and
 * the built dashboard (web/dist) served at `/` when it exists. When `sluice lab` runs it, `/lab`
 * describes the lab and `POST /lab/scale` adds or removes consumer instances.
 */

export interface LabControl {
  describe(): unknown;
  scale(consumers: number): Promise<unknown>;
}

export interface MonitorServiceOptions extends LagMonitorOptions {
  http: HttpOptions;
  /** Directory of the built dashboard (default: web/dist of the installed package). */
  webRoot?: string;
  lab?: LabControl;
  /** Most Server-Sent Events clients at once (default 50). */
  maxEventClients?: number;
}

export interface RunningMonitor extends Omit<RunningService, 'close'> {
  readonly monitor: LagMonitor;
  /** Stops the monitor (its last cycle bounded by `timeoutMs`, default 3 s), then the HTTP server. */
  close(timeoutMs?: number): Promise<{ finished: boolean }>;
}

export function defaultWebRoot(): string {
  // dist/lab/monitor-service.js and src/lab/monitor-service.ts both sit two levels under the package root.
  return resolve(fileURLToPath(new URL('../../web/dist', import.meta.url)));
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

function snapshot(monitor: LagMonitor, report: LagReport) {
  return {
    lag: report,
    status: monitor.status(),
    alerts: monitor.alerts(20),
    recommendations: monitor.recommendations(),
  };
}

export function monitorRoutes(
  app: FastifyInstance,
  monitor: LagMonitor,
  cluster: Cluster,
  options: Pick<MonitorServiceOptions, 'lab' | 'webRoot' | 'maxEventClients'>,
): void {
  const admin = new Admin({ cluster });

  app.get('/health', async () => health(monitor));
  app.get('/lag', async () => monitor.lag());
  app.get('/lag/history', async (req) => monitor.history(queryIntOpt(req.query, 'limit', 1, 100_000)));
  app.get('/alerts', async (req) => monitor.alerts(queryIntOpt(req.query, 'limit', 1, 100_000)));
  app.get('/status', async () => monitor.status());
  app.get('/recommendations', async () => monitor.recommendations());
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', monitor.metrics.registry.contentType);
    return monitor.metrics.registry.metrics();
  });
  eventStreamRoute(app, monitor, options.maxEventClients ?? 50);
  app.get('/cluster/topics', () => clusterTopics(admin, monitor));
  app.get('/cluster/groups', () => clusterGroups(admin, monitor));
  if (options.lab) labRoutes(app, options.lab);
  dashboardRoutes(app, { lab: options.lab, cluster });

  const webRoot = options.webRoot ?? defaultWebRoot();
  app.get('/*', async (req, reply) => serveStatic(webRoot, req.url, reply));
}

function health(monitor: LagMonitor) {
  const r = monitor.lag();
  return {
    status: r.collection.errors.length > 0 ? 'degraded' : 'healthy',
    service: 'lag-monitor',
    cycles: r.collection.cycles,
    last_collection: r.collection.cycles > 0 ? r.timestamp : null,
    errors: r.collection.errors,
  };
}

/** `GET /events`: a snapshot on connect and after every collection (server-sent events). */
function eventStreamRoute(app: FastifyInstance, monitor: LagMonitor, maxClients: number): void {
  const clients = new Set<FastifyReply>();
  const unsubscribe = monitor.onReport((report) => {
    if (clients.size === 0) return;
    const frame = `event: snapshot\ndata: ${JSON.stringify(snapshot(monitor, report))}\n\n`;
    for (const c of clients) {
      // A client that cannot keep up is dropped, not buffered for: the dashboard reconnects.
      if (c.raw.writableLength > 1024 * 1024) c.raw.destroy();
      else c.raw.write(frame);
    }
  });
  // Proxies close idle streams; a comment line every 15 s keeps them open between slow collections.
  const keepAlive = monitor.config.clock.setInterval(() => {
    for (const c of clients) c.raw.write(': keep-alive\n\n');
  }, 15_000);
  // preClose, not onClose: Fastify waits for open connections before onClose, and an event stream never ends by itself.
  app.addHook('preClose', async () => {
    unsubscribe();
    keepAlive.cancel();
    for (const c of clients) c.raw.end();
  });
  app.get('/events', (req, reply) => {
    if (clients.size >= maxClients) {
      reply
        .code(503)
        .header('retry-after', '5')
        .send({ error: 'too_many_clients', message: `at most ${maxClients} event streams at once` });
      return;
    }
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    reply.raw.write(
      `retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(snapshot(monitor, monitor.lag()))}\n\n`,
    );
    clients.add(reply);
    req.raw.on('close', () => clients.delete(reply));
  });
}

/** Topics with their partitions' leaders and start/end offsets, and the brokers. */
async function clusterTopics(admin: Admin, monitor: LagMonitor) {
  const meta = await admin.describeCluster();
  const described = meta.topics.filter((t) => t.errorCode === 0);
  // One batched ListOffsets pair per leader for every led partition; a leader that fails leaves its
  // partitions' offsets null until the next view refresh (its topics' metadata is refreshed then).
  const led = new Map(
    described.map((t) => [t.name, t.partitions.filter((p) => p.leader >= 0).map((p) => p.partition)]),
  );
  const ranges = (await admin.listOffsetRanges(led)).results;
  const topics = described.map((t) => {
    const partitions = t.partitions
      .map((p) => {
        const o = ranges.find((r) => r.topic === t.name && r.partition === p.partition);
        const start = o ? Number(o.start) : null;
        const end = o ? Number(o.end) : null;
        return {
          partition: p.partition,
          leader: p.leader,
          log_start_offset: start,
          log_end_offset: end,
          messages: start !== null && end !== null ? end - start : null,
        };
      })
      .sort((a, b) => a.partition - b.partition);
    return {
      name: t.name,
      internal: t.internal,
      partitions: partitions.length,
      messages: partitions.reduce((s, p) => s + (p.messages ?? 0), 0),
      partition_details: partitions,
    };
  });
  topics.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { brokers: brokerView(meta.brokers, monitor.lag().cluster), topics };
}

/** Every group with its members, the partitions each owns, and its lag and status. */
async function clusterGroups(admin: Admin, monitor: LagMonitor) {
  const report = monitor.lag();
  const listed = await admin.listGroups();
  const groups = [];
  for (const g of listed) {
    const d = await admin.describeGroup(g.groupId);
    const r = report.groups.find((x) => x.group === g.groupId);
    groups.push({
      group: g.groupId,
      state: d.state,
      protocol: d.protocol,
      members: d.members.map((m) => ({
        member_id: m.memberId,
        client_id: m.clientId,
        host: m.clientHost,
        partitions: report.partitions
          .filter((p) => p.group === g.groupId && p.owner?.member_id === m.memberId)
          .map((p) => ({ topic: p.topic, partition: p.partition })),
      })),
      total_lag: r?.total_lag ?? null,
      status: r?.status ?? null,
    });
  }
  return { groups };
}

/** `GET /lab` and `POST /lab/scale` when the monitor runs inside a lab. */
function labRoutes(app: FastifyInstance, lab: NonNullable<MonitorServiceOptions['lab']>): void {
  app.get('/lab', async () => lab.describe());
  app.post('/lab/scale', async (req) => {
    const body = objectBody(req.body, ['consumers'], '{"consumers": 3}');
    const fromQuery = (req.query as Record<string, unknown>)?.consumers;
    const consumers =
      intField(body, 'consumers', { min: 1, max: 9 }) ??
      (fromQuery !== undefined ? queryInt(req.query, 'consumers', { min: 1, max: 9 }) : undefined);
    if (consumers === undefined)
      throw new BadRequest('give the number of consumers: {"consumers": 3} or ?consumers=3');
    return lab.scale(consumers);
  });
}

/**
 * Start and end offsets of the partitions that have a leader. Partitions without one (a dead broker
 * held their only replica) and partitions whose leader cannot be reached right now are left out, so the
 * cluster view still answers during an outage, with those offsets unknown.
 */
/**
 * The brokers the metadata lists now, plus those the monitor saw earlier and no longer finds (a killed
 * Kafka broker leaves the metadata once fenced): each with the monitor's status word.
 */
function brokerView(
  listed: { nodeId: number; host: string; port: number }[],
  seen: ClusterReport | null,
): { node_id: number; host: string; port: number; status: ClusterReport['brokers'][number]['status'] }[] {
  const status = new Map((seen?.brokers ?? []).map((b) => [b.node_id, b.status]));
  const live = listed.map((b) => ({
    node_id: b.nodeId,
    host: b.host,
    port: b.port,
    status: status.get(b.nodeId) === 'unreachable' ? ('unreachable' as const) : ('up' as const),
  }));
  const ids = new Set(listed.map((b) => b.nodeId));
  const missing = (seen?.brokers ?? [])
    .filter((b) => !ids.has(b.node_id))
    .map((b) => ({ node_id: b.node_id, host: b.host, port: b.port, status: 'missing' as const }));
  return [...live, ...missing].sort((a, b) => a.node_id - b.node_id);
}

function queryIntOpt(query: unknown, name: string, min: number, max: number): number | undefined {
  const q = (query ?? {}) as Record<string, unknown>;
  return q[name] === undefined ? undefined : queryInt(query, name, { min, max });
}

async function serveStatic(root: string, url: string, reply: FastifyReply) {
  const path = decodeURIComponent(url.split('?')[0]);
  const index = join(root, 'index.html');
  if (!existsSync(index)) {
    if (path === '/' || path === '') {
      return {
        service: 'lag-monitor',
        dashboard: 'not built: the dashboard is served here once web/dist exists',
        endpoints: [
          '/health',
          '/lag',
          '/lag/history',
          '/alerts',
          '/status',
          '/recommendations',
          '/metrics',
          '/events',
          '/cluster/topics',
          '/cluster/groups',
        ],
      };
    }
    return reply.code(404).send({ error: 'not_found', message: `no route GET ${path} on the lag-monitor` });
  }
  const target = normalize(join(root, path === '/' ? 'index.html' : path));
  if (target !== root && !target.startsWith(root + sep)) {
    return reply.code(404).send({ error: 'not_found', message: 'outside the dashboard' });
  }
  const file = target;
  const s = await stat(file).catch(() => null);
  // The dashboard routes by #hash, so an unknown path is a mistyped URL: a 404 that says so, not the page.
  if (!s?.isFile()) {
    return reply.code(404).send({ error: 'not_found', message: `no route GET ${path} on the lag-monitor` });
  }
  reply.header('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
  if (file !== index) reply.header('cache-control', 'public, max-age=3600');
  return reply.send(await readFile(file));
}

export async function startMonitorService(options: MonitorServiceOptions): Promise<RunningMonitor> {
  if (!options.cluster && !options.brokers?.length) {
    throw new LabConfigError('monitor service: give brokers (e.g. ["127.0.0.1:9092"]) or a client cluster');
  }
  // One client for collection and the cluster view; the service owns it unless one was passed in.
  const owned = options.cluster
    ? null
    : new Cluster({
        brokers: options.brokers ?? [],
        clientId: 'sluice-lag-monitor',
        clock: options.clock,
        security: options.security,
      });
  const cluster = options.cluster ?? owned!;
  const monitor = new LagMonitor({ ...options, brokers: undefined, cluster });
  const app = createHttp('lag-monitor', options.http);
  monitorRoutes(app, monitor, cluster, options);
  const service = await startService(
    // The owned client's close is not awaited: its sockets end on their own.
    { app, stop: (timeoutMs) => monitor.stop(timeoutMs), release: () => void owned?.close() },
    async () => {
      const address = await listen(app, options.http);
      monitor.start();
      return address;
    },
  );
  return { name: 'lag-monitor', app, monitor, ...service };
}
