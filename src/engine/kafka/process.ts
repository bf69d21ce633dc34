import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import { type JobRun, type RunOptions, runJob } from '../engine.js';
import type { JobGraph } from '../job.js';
import type { Bottleneck, InstanceMetrics, JobMetrics } from '../metrics.js';
import type { KafkaSinkStats, KafkaSourceInstanceStats, TopicPartition } from './io.js';

/**
 * One process running a job: the run itself, the engine's metrics on /metrics (Prometheus) and
 * /status (JSON), and the live per-instance view. Several processes running the same job with the same
 * group share the topic's partitions through the group coordinator.
 */
export interface EngineProcessOptions {
  graph: JobGraph;
  run?: Omit<RunOptions, 'clock'>;
  /** Port for /metrics and /status (0: any free port; undefined: no server). */
  metricsPort?: number;
  host?: string;
  /** Window of the per-second figures (ms). Default 5000. */
  windowMs?: number;
}

/** An instance's state over the window: what it spent most of its time doing. */
export type InstanceState = 'busy' | 'idle' | 'backpressured';

export interface InstanceStatus {
  id: string;
  state: InstanceState;
  busyMsPerSecond: number;
  idleMsPerSecond: number;
  backpressuredMsPerSecond: number;
  queueDepth: number | null;
  processed: number;
  /** Kafka partitions the instance owns (Kafka source instances only). */
  partitions?: TopicPartition[];
}

export interface EngineStatus {
  job: string;
  strategy: string;
  instances: InstanceStatus[];
  bottleneck: (Bottleneck & { partitions: TopicPartition[] }) | null;
  dropped: number;
  sinks: JobMetrics['sinks'];
  sources: KafkaSourceInstanceStats[];
  kafkaSinks: Record<string, KafkaSinkStats>;
}

export class EngineProcess {
  readonly run: JobRun;
  private server: Server | undefined;
  private readonly registry = new Registry();
  private readonly windowMs: number;

  private constructor(
    readonly graph: JobGraph,
    options: EngineProcessOptions,
  ) {
    this.windowMs = options.windowMs ?? 5000;
    this.run = runJob(graph, options.run);
    this.registerMetrics();
  }

  static async start(options: EngineProcessOptions): Promise<EngineProcess> {
    const p = new EngineProcess(options.graph, options);
    if (options.metricsPort !== undefined) await p.listen(options.metricsPort, options.host ?? '127.0.0.1');
    return p;
  }

  /** Where /metrics and /status are served. */
  get address(): string | undefined {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a ? `http://${a.address}:${a.port}` : undefined;
  }

  /** Kafka source instances of this process with what they own and did. */
  sourceStats(): KafkaSourceInstanceStats[] {
    return this.graph.components.flatMap((c) => {
      const spec = c.source as { stats?: () => KafkaSourceInstanceStats[] } | undefined;
      return spec?.stats ? spec.stats() : [];
    });
  }

  /** Kafka sinks of this process by component name. */
  private sinkStats(): Record<string, KafkaSinkStats> {
    const out: Record<string, KafkaSinkStats> = {};
    for (const c of this.graph.components) {
      const spec = c.sink as { stats?: () => KafkaSinkStats } | undefined;
      if (spec?.stats) out[c.name] = spec.stats();
    }
    return out;
  }

  status(): EngineStatus {
    const m = this.run.metrics(this.windowMs);
    const sources = this.sourceStats();
    const owned = new Map(sources.map((s) => [s.instance, s.partitions]));
    return {
      job: m.job,
      strategy: this.run.strategy,
      instances: m.instances.map((i) => instanceStatus(i, owned.get(i.id))),
      bottleneck: m.bottleneck
        ? { ...m.bottleneck, partitions: this.partitionsBehind(m.bottleneck.instance, owned) }
        : null,
      dropped: m.dropped,
      sinks: m.sinks,
      sources,
      kafkaSinks: this.sinkStats(),
    };
  }

  /** The partitions whose records reach `instance`: those of every source instance upstream of it. */
  private partitionsBehind(instance: string, owned: Map<string, TopicPartition[]>): TopicPartition[] {
    const topology = this.run.topology();
    const feeds = (from: string, seen = new Set<string>()): boolean => {
      if (from === instance) return true;
      if (seen.has(from)) return false;
      seen.add(from);
      return (topology.get(from) ?? []).some((next) => feeds(next, seen));
    };
    return [...owned.entries()].filter(([source]) => feeds(source)).flatMap(([, parts]) => parts);
  }

  /** Stops: sources stop reading, in-flight work drains to the sinks, offsets are committed, members leave. */
  async stop(options: { drain?: boolean } = { drain: true }): Promise<void> {
    try {
      await this.run.stop(options);
    } finally {
      await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    }
  }

  private async listen(port: number, host: string): Promise<void> {
    this.server = createServer((req, res) => {
      void (async () => {
        if (req.url === '/metrics') {
          res.setHeader('content-type', this.registry.contentType);
          res.end(await this.registry.metrics());
        } else if (req.url === '/status') {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(this.status()));
        } else {
          res.statusCode = 404;
          res.end('try /metrics or /status\n');
        }
      })().catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
  }

  private registerMetrics(): void {
    this.registerInstanceGauges();
    this.registerRunGauges();
    this.registerSourceGauges();
  }

  /** Busy, idle and backpressured time, queue depth and items processed, one series per operator instance. */
  private registerInstanceGauges(): void {
    const job = this.graph.name;
    const self = this;
    const perInstance = (
      name: string,
      help: string,
      read: (i: InstanceMetrics) => number | undefined,
    ): void => {
      new Gauge({
        name,
        help,
        labelNames: ['job', 'instance', 'component'],
        registers: [this.registry],
        collect: function (this: Gauge) {
          this.reset();
          for (const i of self.run.metrics(self.windowMs).instances) {
            const v = read(i);
            if (v !== undefined) this.set({ job, instance: i.id, component: i.component }, v);
          }
        },
      });
    };
    perInstance(
      'sluice_engine_busy_ms_per_second',
      'Busy time per second over the window',
      (i) => i.busyTimeMsPerSecond,
    );
    perInstance(
      'sluice_engine_idle_ms_per_second',
      'Idle time per second over the window',
      (i) => i.idleTimeMsPerSecond,
    );
    perInstance(
      'sluice_engine_backpressured_ms_per_second',
      'Backpressured time per second over the window (waiting for credit or paused)',
      (i) => i.backPressuredTimeMsPerSecond,
    );
    perInstance('sluice_engine_queue_depth', 'Items queued in front of the instance', (i) => i.queue?.depth);
    perInstance(
      'sluice_engine_processed',
      'Items the instance processed since it started',
      (i) => i.processedTotal,
    );
  }

  /** What the strategies dropped and the latency at the sinks, for the whole run. */
  private registerRunGauges(): void {
    const job = this.graph.name;
    const self = this;
    new Gauge({
      name: 'sluice_engine_dropped',
      help: 'Items discarded by the drop and sample strategies since the run started',
      labelNames: ['job'],
      registers: [this.registry],
      collect: function (this: Gauge) {
        this.set({ job }, self.run.metrics(self.windowMs).dropped);
      },
    });
    new Gauge({
      name: 'sluice_engine_latency_ms',
      help: 'End-to-end latency at the sinks (from the record timestamp), since the run started',
      labelNames: ['job', 'quantile'],
      registers: [this.registry],
      collect: function (this: Gauge) {
        const l = self.run.metrics(self.windowMs).sinks.latencyMs;
        this.set({ job, quantile: '0.5' }, l.p50);
        this.set({ job, quantile: '0.99' }, l.p99);
      },
    });
  }

  /** Partitions owned, records read and handled, and commit errors, one series per Kafka source instance. */
  private registerSourceGauges(): void {
    const job = this.graph.name;
    const self = this;
    const perSource = (name: string, help: string, read: (s: KafkaSourceInstanceStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['job', 'instance'],
        registers: [this.registry],
        collect: function (this: Gauge) {
          this.reset();
          for (const s of self.sourceStats()) this.set({ job, instance: s.instance }, read(s));
        },
      });
    perSource(
      'sluice_engine_source_partitions',
      'Kafka partitions the source instance owns',
      (s) => s.partitions.length,
    );
    perSource('sluice_engine_source_read', 'Records the source instance read', (s) => s.read);
    perSource(
      'sluice_engine_source_handled',
      'Records whose results the sinks acknowledged or a strategy discarded (committable)',
      (s) => s.handled,
    );
    perSource('sluice_engine_source_commit_errors', 'Offset commits that failed', (s) => s.commitErrors);
  }
}

function instanceStatus(i: InstanceMetrics, partitions: TopicPartition[] | undefined): InstanceStatus {
  const times: [InstanceState, number][] = [
    ['busy', i.busyTimeMsPerSecond],
    ['idle', i.idleTimeMsPerSecond],
    ['backpressured', i.backPressuredTimeMsPerSecond],
  ];
  const state = times.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  return {
    id: i.id,
    state,
    busyMsPerSecond: Math.round(i.busyTimeMsPerSecond),
    idleMsPerSecond: Math.round(i.idleTimeMsPerSecond),
    backpressuredMsPerSecond: Math.round(i.backPressuredTimeMsPerSecond),
    queueDepth: i.queue?.depth ?? null,
    processed: i.processedTotal,
    ...(partitions ? { partitions } : {}),
  };
}

/** The live view: one line per instance, then the bottleneck and the partitions behind it. */
export function formatStatus(s: EngineStatus): string {
  const parts = (ps: TopicPartition[]) =>
    ps.length === 0 ? '-' : ps.map((p) => `${p.topic}/${p.partition}`).join(',');
  const lines = s.instances.map(
    (i) =>
      `  ${i.id.padEnd(22)} ${i.state.padEnd(13)} busy ${String(i.busyMsPerSecond).padStart(4)} ` +
      `idle ${String(i.idleMsPerSecond).padStart(4)} bp ${String(i.backpressuredMsPerSecond).padStart(4)} ms/s` +
      `  queue ${i.queueDepth ?? '-'}${i.partitions ? `  partitions ${parts(i.partitions)}` : ''}`,
  );
  const b = s.bottleneck;
  lines.push(
    b
      ? `  bottleneck: ${b.instance} (${b.reason}); partitions behind it: ${parts(b.partitions)}`
      : '  bottleneck: none',
  );
  lines.push(
    `  sinks: ${s.sinks.received} received, p99 ${Math.round(s.sinks.latencyMs.p99)} ms; dropped by strategy: ${s.dropped}`,
  );
  return `${s.job} (${s.strategy})\n${lines.join('\n')}`;
}
