import { type Clock, realClock } from '../flow/clock.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { SkipFields } from '../protocol/codec/read.js';
import { BrokerConnection, type BrokerConnectionStats } from './broker-connection.js';
import type { FrameTap } from './connection.js';
import {
  brokerError,
  ClientClosedError,
  ConfigError,
  coordinatorMoved,
  KafkaBrokerError,
  KafkaClientError,
} from './errors.js';
import type { PartitionInfo } from './partitioner.js';
import { type RetryOptions, RetryPolicy } from './retry.js';
import type { ClientSecurity } from './security.js';

/**
 * What every part of the client shares: the bootstrap list, one connection per broker, the metadata
 * cache that routes a partition to its leader, and coordinator lookup for groups. Producers, consumers
 * and admin clients may share one Cluster (one set of connections) or each own one.
 */

export interface ClusterOptions {
  /** Bootstrap brokers as "host:port". */
  brokers: string[];
  clientId?: string;
  clock?: Clock;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Requests in flight per broker connection (default 5). */
  maxInFlight?: number;
  retry?: RetryOptions;
  /** Metadata older than this is refreshed before use (default 5 minutes). */
  metadataMaxAgeMs?: number;
  /** Sees every frame on every connection (debugging, wire-format tests). */
  tap?: FrameTap;
  /** TLS and SASL for every broker connection (see src/client/security.ts). */
  security?: ClientSecurity;
}

export interface TopicMetadata {
  name: string;
  partitions: PartitionInfo[];
}

export class Cluster {
  readonly clientId: string;
  readonly clock: Clock;
  readonly retry: RetryPolicy;
  private readonly options: ClusterOptions;
  private readonly bootstrap: { host: string; port: number }[];
  private readonly bootstrapConnections = new Map<string, BrokerConnection>();
  private readonly brokers = new Map<number, { host: string; port: number }>();
  private readonly connections = new Map<number, BrokerConnection>();
  /** Connections of brokers that left the metadata while requests were still out on them. */
  private readonly retired = new Set<BrokerConnection>();
  private readonly topics = new Map<string, TopicMetadata & { fetchedAt: number }>();
  private readonly coordinators = new Map<string, number>();
  private readonly topicLookups = new Map<string, Promise<TopicMetadata>>();
  private controllerId = -1;
  private closed = false;
  private refreshing: Promise<void> | null = null;

  constructor(options: ClusterOptions) {
    if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
      throw new ConfigError(
        'brokers: give at least one bootstrap broker as "host:port", e.g. "127.0.0.1:9092"',
      );
    }
    this.options = options;
    this.bootstrap = options.brokers.map(parseHostPort);
    this.clientId = options.clientId ?? 'sluice';
    this.clock = options.clock ?? realClock;
    this.retry = new RetryPolicy(options.retry);
  }

  /** Connects to a bootstrap broker and learns the cluster's brokers. */
  async connect(): Promise<void> {
    await this.refreshMetadata([]);
  }

  /** The cached partitions of a topic, refreshed (and optionally auto-created) when unknown or stale. */
  async topic(name: string, options: { autoCreate?: boolean } = {}): Promise<TopicMetadata> {
    const cached = this.topics.get(name);
    const maxAge = this.options.metadataMaxAgeMs ?? 300_000;
    if (cached && this.clock.now() - cached.fetchedAt < maxAge) return cached;
    // Many callers asking for the same topic at once (a burst of sends on a cold start) share one lookup.
    const pending = this.topicLookups.get(name);
    if (pending) return pending;
    const lookup = this.retry
      .run(this.clock, async () => {
        await this.refreshMetadata([name], options.autoCreate ?? false);
        const t = this.topics.get(name);
        if (!t) throw brokerError(3, `metadata for topic "${name}"`);
        return t;
      })
      .finally(() => this.topicLookups.delete(name));
    this.topicLookups.set(name, lookup);
    return lookup;
  }

  /** Cached metadata only (no I/O); undefined when the topic was never fetched. */
  cachedTopic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  /**
   * Fetches metadata for `topics` (all topics when null, none when empty). Concurrent refreshes of the
   * whole cluster share one request.
   */
  async refreshMetadata(topics: string[] | null, allowAutoTopicCreation = false): Promise<void> {
    if (this.closed) throw new ClientClosedError('metadata refresh');
    const run = async () => {
      const conn = await this.anyConnection();
      const res = await conn.request(ApiKey.Metadata, {
        topics: topics === null ? null : topics.map((name) => ({ name })),
        allowAutoTopicCreation,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      for (const b of res.brokers) {
        const known = this.brokers.get(b.nodeId);
        if (known && (known.host !== b.host || known.port !== b.port)) this.dropBroker(b.nodeId);
        this.brokers.set(b.nodeId, { host: b.host, port: b.port });
      }
      // Every Metadata answer lists all live brokers (whatever topics were asked for). One missing from
      // it died or was fenced (kill -9 on a Kafka cluster): forget it, or admin calls that visit every
      // known broker would keep failing on it until it came back.
      const listed = new Set(res.brokers.map((b) => b.nodeId));
      for (const nodeId of [...this.brokers.keys()]) if (!listed.has(nodeId)) this.dropBroker(nodeId);
      this.controllerId = res.controllerId ?? -1;
      const now = this.clock.now();
      if (topics === null) {
        // A full listing: topics missing from it were deleted.
        const present = new Set(res.topics.map((t) => t.name));
        for (const name of this.topics.keys()) if (!present.has(name)) this.topics.delete(name);
      }
      let firstError: KafkaClientError | null = null;
      for (const t of res.topics) {
        if (t.name === null) continue;
        if (t.errorCode !== 0) {
          this.topics.delete(t.name);
          // LEADER_NOT_AVAILABLE right after auto-creation is normal; the caller retries.
          firstError ??= brokerError(t.errorCode, `metadata for topic "${t.name}"`);
          continue;
        }
        const partitions = t.partitions
          .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId }))
          .sort((a, b) => a.partition - b.partition);
        this.topics.set(t.name, { name: t.name, partitions, fetchedAt: now });
      }
      if (firstError && topics !== null && topics.length > 0) throw firstError;
    };
    if (topics === null || topics.length === 0) {
      if (!this.refreshing) this.refreshing = run().finally(() => (this.refreshing = null));
      return this.refreshing;
    }
    return run();
  }

  /** Marks a topic's metadata stale so the next use refreshes it (a leader moved, a partition was added). */
  invalidate(topic: string): void {
    const t = this.topics.get(topic);
    if (t) t.fetchedAt = Number.NEGATIVE_INFINITY;
  }

  /** The connection to a partition's leader, refreshing metadata when the leader is unknown. */
  async leaderFor(topic: string, partition: number): Promise<BrokerConnection> {
    let t = await this.topic(topic);
    let p = t.partitions.find((x) => x.partition === partition);
    if (!p || p.leader < 0) {
      this.invalidate(topic);
      t = await this.topic(topic);
      p = t.partitions.find((x) => x.partition === partition);
    }
    if (!p) {
      throw new KafkaClientError(
        `topic "${topic}" has no partition ${partition} (it has ${t.partitions.length}); ` +
          'use a partition below that count or add partitions',
      );
    }
    if (p.leader < 0) throw brokerError(5, `partition ${topic}/${partition}`);
    return this.broker(p.leader);
  }

  /** The connection to broker `nodeId` (created on first use). */
  broker(nodeId: number): BrokerConnection {
    const existing = this.connections.get(nodeId);
    if (existing) return existing;
    const address = this.brokers.get(nodeId);
    if (!address) {
      throw new KafkaClientError(
        `broker ${nodeId} is not in the cluster metadata; refresh metadata and retry`,
        {
          retriable: true,
        },
      );
    }
    const conn = this.newConnection(nodeId, address.host, address.port);
    this.connections.set(nodeId, conn);
    return conn;
  }

  /** Any usable connection: an open broker connection, else a bootstrap one (trying each in turn). */
  async anyConnection(): Promise<BrokerConnection> {
    if (this.closed) throw new ClientClosedError('connecting');
    for (const conn of this.connections.values()) if (conn.connection.isConnected()) return conn;
    let lastError: unknown;
    const candidates: BrokerConnection[] = [...this.connections.values()];
    for (const b of this.bootstrap) {
      const key = `${b.host}:${b.port}`;
      let conn = this.bootstrapConnections.get(key);
      if (!conn) {
        conn = this.newConnection(-1, b.host, b.port);
        this.bootstrapConnections.set(key, conn);
      }
      candidates.push(conn);
    }
    for (const conn of candidates) {
      try {
        await conn.ready();
        return conn;
      } catch (err) {
        lastError = err;
      }
    }
    throw new KafkaClientError(
      `no broker reachable (tried ${this.bootstrap.map((b) => `${b.host}:${b.port}`).join(', ')}): ${
        (lastError as Error)?.message ?? lastError
      }`,
      { retriable: true, cause: lastError },
    );
  }

  /**
   * Metadata for every topic, as any reachable broker answers it (brokers, leaders, replicas, ISR), without
   * touching the cache: for views of the whole cluster (the monitor's cluster report, the dashboard).
   * `skipFields`: fields the caller never reads, stepped over (RequestOptions.skipFields).
   */
  async describeAll(skipFields?: SkipFields) {
    const conn = await this.anyConnection();
    return conn.request(
      ApiKey.Metadata,
      {
        topics: null,
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      },
      { skipFields },
    );
  }

  /** The controller (for topic creation and deletion); any broker when the metadata names none. */
  async controller(): Promise<BrokerConnection> {
    if (this.controllerId < 0) await this.refreshMetadata([]);
    return this.controllerId >= 0 ? this.broker(this.controllerId) : this.anyConnection();
  }

  /**
   * The coordinator of a group (keyType 0) or of a transactional id (keyType 1), looked up with
   * FindCoordinator and cached until forgotten.
   */
  async coordinator(key: string, keyType: CoordinatorType = 0): Promise<BrokerConnection> {
    const cached = this.coordinators.get(coordinatorKey(key, keyType));
    if (cached !== undefined && this.brokers.has(cached)) return this.broker(cached);
    const what = keyType === 0 ? `group "${key}"` : `transactional id "${key}"`;
    return this.retry.run(this.clock, async () => {
      const conn = await this.anyConnection();
      const res = await conn.request(ApiKey.FindCoordinator, { key, keyType });
      const code = res.errorCode ?? 0;
      if (code !== 0) throw brokerError(code, `FindCoordinator for ${what}`);
      const nodeId = res.nodeId ?? -1;
      if (!this.brokers.has(nodeId) && res.host !== undefined && res.port !== undefined) {
        this.brokers.set(nodeId, { host: res.host, port: res.port });
      }
      this.coordinators.set(coordinatorKey(key, keyType), nodeId);
      return this.broker(nodeId);
    });
  }

  /** Forgets the coordinator after NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE. */
  forgetCoordinator(key: string, keyType: CoordinatorType = 0): void {
    this.coordinators.delete(coordinatorKey(key, keyType));
  }

  /**
   * Runs a coordinator request with retries, finding the coordinator again when it moved. `check`
   * throws for error codes in the response.
   */
  async withCoordinator<T>(
    key: string,
    fn: (conn: BrokerConnection) => Promise<T>,
    keyType: CoordinatorType = 0,
  ): Promise<T> {
    return this.retry.run(
      this.clock,
      async () => fn(await this.coordinator(key, keyType)),
      (err) => {
        // A broker error other than "the coordinator moved" is an answer from the right broker.
        if (coordinatorMoved(err) || !(err instanceof KafkaBrokerError)) this.forgetCoordinator(key, keyType);
      },
    );
  }

  knownBrokers(): { nodeId: number; host: string; port: number }[] {
    return [...this.brokers.entries()].map(([nodeId, b]) => ({ nodeId, ...b }));
  }

  stats(): BrokerConnectionStats[] {
    return [...this.connections.values(), ...this.bootstrapConnections.values()].map((c) => c.stats());
  }

  /** Closes every connection (in-flight requests fail with ClientClosedError); resolves once their sockets are closed. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values(), ...this.bootstrapConnections.values(), ...this.retired];
    this.retired.clear();
    this.connections.clear();
    this.bootstrapConnections.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  private dropBroker(nodeId: number): void {
    this.brokers.delete(nodeId);
    const conn = this.connections.get(nodeId);
    if (!conn) return;
    this.connections.delete(nodeId);
    // Requests still out on it end by themselves (answered, or failed as retriable connection errors);
    // closing now would fail them as "client closed", which callers do not retry.
    const s = conn.connection.stats();
    if (s.inFlight === 0 && s.queued === 0) conn.close();
    else this.retired.add(conn);
  }

  private newConnection(nodeId: number, host: string, port: number): BrokerConnection {
    return new BrokerConnection({
      nodeId,
      host,
      port,
      clock: this.clock,
      clientId: this.clientId,
      connectTimeoutMs: this.options.connectTimeoutMs,
      requestTimeoutMs: this.options.requestTimeoutMs,
      maxInFlight: this.options.maxInFlight,
      tap: this.options.tap,
      security: this.options.security,
    });
  }
}

export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(String(s).trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || !(port > 0 && port < 65536)) {
    throw new ConfigError(`broker address "${s}" is not "host:port" (e.g. "127.0.0.1:9092")`);
  }
  return { host: m[1], port };
}

/** FindCoordinator's key types: 0 a consumer group, 1 a transactional id. */
export type CoordinatorType = 0 | 1;

const coordinatorKey = (key: string, keyType: CoordinatorType): string => `${keyType}\u0000${key}`;
