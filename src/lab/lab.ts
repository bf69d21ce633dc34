import { Broker } from '../broker/broker.js';
import type { ClientSecurity } from '../client/security.js';
import type { Sink } from '../consumer/types.js';
import { type Clock, realClock } from '../flow/clock.js';
import type { GroupContext } from '../monitor/advice.js';
import type { LagReport } from '../monitor/reports.js';
import type { TracingOptions } from '../tracing/options.js';
import type { LabSinkKind } from './consumer.js';
import { type RunningConsumer, startConsumerService } from './consumer-service.js';
import { checkBind, type HttpOptions } from './http.js';
import { type RunningMonitor, startMonitorService } from './monitor-service.js';
import { type RunningProducer, startProducerService } from './producer-service.js';
import { commitStartOffsets, ensureTopic } from './setup.js';
import { configInt, LabConfigError } from './validate.js';

/**
 * The whole lab in one process: the embedded broker (or a real cluster with `brokers`), the `orders`
 * topic, the producer, N consumers in one group and the lag monitor, each on its own port, as the seed
 * lab's Docker Compose file lays them out. `scale(n)` is the lab's `--profile scaled up consumer-2 consumer-3`.
 */

export interface LabPorts {
  broker: number;
  producer: number;
  /** First consumer; instance i listens on consumer + i - 1 (0 = any free port for each). */
  consumer: number;
  monitor: number;
}

export const DEFAULT_PORTS: LabPorts = { broker: 9092, producer: 8000, consumer: 8001, monitor: 8010 };

export interface LabOptions {
  /** A real Kafka cluster instead of the embedded broker. */
  brokers?: string[];
  /** TLS/SASL settings for `brokers` (the embedded broker needs none). */
  security?: ClientSecurity;
  /** Keep nothing on disk (embedded broker only). */
  memory?: boolean;
  dataDir?: string;
  host?: string;
  token?: string;
  ports?: Partial<LabPorts>;
  consumers?: number;
  topic?: string;
  partitions?: number;
  groupId?: string;
  processingTimeMs?: number;
  /** Every consumer's sink: a kind, or one Sink object the consumers share (a library user's own). */
  sink?: LabSinkKind | Sink;
  monitorIntervalMs?: number;
  /** Edge admission control on the producer (off unless given). */
  admission?: { freshnessBudgetMs?: number; maxLag?: number };
  /**
   * Time `stop()` may take in all (default 20 s), broker reachable or not: the producer's flush, the
   * monitor's last cycle and the embedded broker's drain get an eighth each (at most 3 s), the
   * consumers (stopping side by side) half.
   */
  gracePeriodMs?: number;
  clock?: Clock;
  /**
   * OpenTelemetry tracing on the producer and every consumer (export with `otlpEndpoint`). Off by
   * default; the dashboard's traces view (the consumers' GET /traces) needs none of it.
   */
  tracing?: TracingOptions;
}

export const MAX_CONSUMERS = 9;

export class Lab {
  readonly consumers: RunningConsumer[] = [];
  private scaling: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly options: Required<Pick<LabOptions, 'topic' | 'partitions' | 'groupId' | 'processingTimeMs'>> &
      LabOptions,
    readonly ports: LabPorts,
    readonly brokers: string[],
    readonly broker: Broker | null,
    public producer: RunningProducer | null = null,
    public monitor: RunningMonitor | null = null,
  ) {}

  static async start(options: LabOptions = {}): Promise<Lab> {
    const ports = { ...DEFAULT_PORTS, ...stripUndefined(options.ports ?? {}) };
    for (const [k, v] of Object.entries(ports)) configInt(`${k} port`, v, { min: 0, max: 65535 });
    const consumers = configInt('consumers', options.consumers ?? 1, { min: 1, max: MAX_CONSUMERS });
    const partitions = configInt('partitions', options.partitions ?? 6, { min: 1, max: 1000 });
    const processingTimeMs = configInt('processing_time_ms', options.processingTimeMs ?? 500, {
      min: 0,
      max: 600_000,
    });
    const topic = options.topic ?? 'orders';
    const groupId = options.groupId ?? 'order-processors';
    const clock = options.clock ?? realClock;
    if (options.brokers && (options.memory || options.dataDir)) {
      throw new LabConfigError(
        '--memory and --data-dir are for the embedded broker; drop them with --brokers',
      );
    }
    const host = options.host ?? '127.0.0.1';
    // Refuse a non-loopback bind without a token before anything starts listening.
    checkBind('lab', { host, port: 0, token: options.token });
    let broker: Broker | null = null;
    let brokers = options.brokers ?? [];
    if (brokers.length === 0) {
      ({ broker, bootstrap: brokers } = await startEmbeddedBroker(options, ports.broker, partitions, clock));
    }
    const lab = new Lab(
      { ...options, topic, partitions, groupId, processingTimeMs, clock },
      ports,
      brokers,
      broker,
    );
    try {
      await lab.startServices(consumers, clock);
    } catch (err) {
      await lab.stop().catch(() => {});
      throw err;
    }
    return lab;
  }

  /** Creates the topic, commits the group's start offsets, then starts the monitor, the producer and the consumers. */
  private async startServices(consumers: number, clock: Clock): Promise<void> {
    const { brokers, ports } = this;
    const { topic, partitions, groupId, security } = this.options;
    await ensureTopic(brokers, topic, partitions, clock, security);
    await commitStartOffsets(brokers, topic, groupId, clock, security);
    this.monitor = await startMonitorService({
      brokers,
      security,
      clock,
      intervalMs: this.options.monitorIntervalMs ?? 2000,
      includeGroups: [`^${escapeRegExp(groupId)}$`],
      http: this.http(ports.monitor),
      lab: { describe: () => this.describe(), scale: (n) => this.scale(n) },
      groupContext: (g) => (g === groupId ? this.groupContext() : undefined),
    });
    const monitor = this.monitor.monitor;
    this.producer = await startProducerService({
      brokers,
      security,
      topic,
      partitions,
      clock,
      http: this.http(ports.producer),
      tracing: this.options.tracing,
      admission: this.options.admission
        ? {
            ...this.options.admission,
            signals: () => groupSignals(monitor.lag(), groupId),
          }
        : undefined,
    });
    await this.scale(consumers);
  }

  http(port: number): HttpOptions {
    return { host: this.options.host ?? '127.0.0.1', port, token: this.options.token };
  }

  get urls() {
    return {
      broker: this.brokers.join(','),
      producer: this.producer?.url ?? null,
      consumers: this.consumers.map((c) => c.url),
      monitor: this.monitor?.url ?? null,
    };
  }

  describe() {
    return {
      topic: this.options.topic,
      partitions: this.options.partitions,
      group: this.options.groupId,
      embedded_broker: this.broker !== null,
      storage: this.broker ? this.broker.config.durability : 'external',
      ...this.urls,
    };
  }

  /** What the lab knows about its consumers that offsets do not show: the monitor's advice uses it. */
  groupContext(): GroupContext {
    const running = this.consumers.map((c) => c.consumer);
    const times = new Set(running.map((c) => c.processingTimeMs));
    return {
      pausedConsumers: running.filter((c) => c.paused).map((c) => c.instance),
      processingTimeMs: times.size === 1 ? [...times][0] : null,
    };
  }

  /**
   * Adds or removes consumer instances (highest ports first) until `count` run. New ones take the
   * running consumers' current settings (processing time, injected failures), not the lab's start-up
   * ones: `sluice lab scale 3` after `/fast?time_ms=100` adds consumers at 100 ms.
   */
  scale(count: number): Promise<unknown> {
    const n = configInt('consumers', count, { min: 1, max: MAX_CONSUMERS });
    const run = this.scaling.then(async () => {
      const before = this.consumers.length;
      const current = this.consumers[0]?.consumer;
      while (this.consumers.length < n) {
        const i = this.consumers.length + 1;
        const port = this.ports.consumer === 0 ? 0 : this.ports.consumer + i - 1;
        this.consumers.push(
          await startConsumerService({
            brokers: this.brokers,
            security: this.options.security,
            topic: this.options.topic,
            groupId: this.options.groupId,
            partitions: this.options.partitions,
            instance: `consumer-${i}`,
            processingTimeMs: current?.processingTimeMs ?? this.options.processingTimeMs,
            failureRate: current?.sink.settings.rate,
            maxInFlight: current?.runtime.stats().maxInFlight,
            failure: current?.sink.settings.kind,
            sink: this.options.sink,
            gracePeriodMs: this.gracePeriodMs / 2,
            clock: this.options.clock,
            tracing: this.options.tracing,
            http: this.http(port),
          }),
        );
      }
      while (this.consumers.length > n) await this.consumers.pop()?.close();
      return { consumers: this.consumers.length, before, urls: this.consumers.map((c) => c.url) };
    });
    this.scaling = run.catch(() => {});
    return run;
  }

  private get gracePeriodMs(): number {
    return this.options.gracePeriodMs ?? 20_000;
  }

  /**
   * Stops the producer first, then consumers (they commit what they finished), the monitor, the
   * broker, each within its share of the grace period. `gaveUp`: one line per part that could not
   * finish (orders not delivered, records left uncommitted), empty when everything did.
   */
  async stop(): Promise<{ gaveUp: string[] }> {
    const errors: unknown[] = [];
    const gaveUp: string[] = [];
    const step = Math.min(3_000, Math.floor(this.gracePeriodMs / 8));
    const attempt = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    };
    await this.scaling;
    if (this.producer) {
      await attempt(async () => {
        const { undelivered } = await this.producer!.close(step);
        if (undelivered > 0)
          gaveUp.push(
            `producer: ${undelivered} orders not acknowledged within ${step} ms were not delivered`,
          );
      });
    }
    await Promise.all(
      this.consumers.splice(0).map((c) =>
        attempt(async () => {
          const r = await c.close();
          if (r.gaveUp.length > 0)
            gaveUp.push(
              `${c.name}: ${r.uncommitted} records left uncommitted, to be redelivered (${r.gaveUp.join('; ')})`,
            );
        }),
      ),
    );
    if (this.monitor) {
      await attempt(async () => {
        const { finished } = await this.monitor!.close(step);
        if (!finished) gaveUp.push(`monitor: the last lag collection did not finish within ${step} ms`);
      });
    }
    if (this.broker) await attempt(() => this.broker!.stop(step));
    if (errors.length > 0) throw errors[0];
    return { gaveUp };
  }
}

/** What the producer's admission gate reads: the group's lag and the age of its oldest unconsumed order. */
export function groupSignals(report: LagReport, groupId: string): { lag?: number; oldestAgeMs?: number } {
  const g = report.groups.find((x) => x.group === groupId);
  if (!g) return {};
  return {
    lag: g.total_lag,
    oldestAgeMs: g.max_lag_seconds === null ? undefined : g.max_lag_seconds * 1000,
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Starts the embedded broker the lab runs when no --brokers are given; `bootstrap` is its address. */
async function startEmbeddedBroker(
  options: LabOptions,
  port: number,
  partitions: number,
  clock: Clock,
): Promise<{ broker: Broker; bootstrap: string[] }> {
  const broker = new Broker({
    // The Kafka port has no authentication: it stays on loopback whatever --host says for HTTP.
    host: '127.0.0.1',
    port,
    // memory durability keeps the logs in RAM and never touches the data directory.
    dataDir: options.dataDir ?? './.sluice',
    durability: options.memory ? 'memory' : 'async',
    defaultPartitions: partitions,
    clock,
    groups: { initialRebalanceDelayMs: 0 },
    // The lab's own banner says what matters; broker chatter only from warnings up unless asked for
    // (the broker's default level: SLUICE_LOG_LEVEL, else warn).
  });
  const addr = await broker.start();
  return { broker, bootstrap: [`${broker.advertised().host}:${addr.port}`] };
}
