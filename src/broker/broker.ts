import type { Logger } from 'pino';
import type { Clock } from '../flow/clock.js';
import type { SupportedVersionRange } from '../protocol/api-keys.js';
import { apiName } from '../protocol/api-keys.js';
import {
  decodeRequest,
  decodeRequestHeader,
  encodeApiVersionsFallback,
  encodeResponse,
  encodeResponseChunks,
  ProtocolDecodeError,
  type RequestHeader,
} from '../protocol/messages.js';
import { type BrokerCore, HandlerRegistry, type RequestContext } from './api-handler.js';
import type { ListenerSpec } from './auth/listeners.js';
import { usesTls } from './auth/listeners.js';
import { BrokerSecurity, tlsServerOptions } from './auth/security.js';
import { type BrokerConfig, type BrokerOptions, resolveBrokerConfig } from './config.js';
import { CloseConnection, type ConnectionInfo, type DispatchOutcome } from './connection.js';
import { startBrokerGroups } from './groups/broker-groups.js';
import type { GroupCoordinator } from './groups/coordinator.js';
import { coreHandlers, groupHandlers, transactionHandlers } from './handlers/index.js';
import { createLogger } from './logger.js';
import { BrokerMetrics } from './metrics.js';
import { restoreProducerStates } from './producer-recovery.js';
import { ProducerStates } from './producer-state.js';
import { ProduceQuotas } from './quotas.js';
import { RequestMemoryBudget } from './request-memory.js';
import { KafkaServer } from './server.js';
import { type LogManager, ReadBufferPool } from './storage/index.js';
import { openTopicStore, type RecoverySummary } from './storage-topic-store.js';
import type { TopicStore } from './topic-store.js';
import { TopicStoreError } from './topic-store.js';
import { startBrokerTransactions } from './txn/broker-transactions.js';
import type { TransactionCoordinator } from './txn/coordinator.js';

const API_VERSIONS = 18;

export interface BrokerDeps {
  /** pino logger; defaults to one at the configured `logLevel` on stderr, in lines (JSON with SLUICE_LOG_FORMAT=json). */
  logger?: Logger;
}

/**
 * The embedded Kafka-compatible broker: a library object the CLI, the lab and tests start and stop.
 * `start()` opens (and recovers) the partition logs and listens; `stop()` stops accepting, answers what
 * is in flight, flushes the logs and closes them.
 */
export class Broker implements BrokerCore {
  readonly config: BrokerConfig;
  readonly metrics = new BrokerMetrics();
  readonly registry = new HandlerRegistry();
  readonly readBuffers = new ReadBufferPool();
  readonly quotas: ProduceQuotas | undefined;
  readonly producers: ProducerStates;
  readonly clock: Clock;
  readonly log: Logger;
  private topicStore: TopicStore | undefined;
  private manager: LogManager | undefined;
  private server: KafkaServer | undefined;
  /** One server per listener, in the configured order (the first is `address`). */
  private listenerServers: Array<{ listener: ListenerSpec; server: KafkaServer }> = [];
  private securityLayer: BrokerSecurity | undefined;
  private readonly internalTopics = new Set<string>();
  private readonly creating = new Map<string, Promise<boolean>>();
  private recoverySummary: RecoverySummary | undefined;
  private groupCoordinator: GroupCoordinator | undefined;
  private transactionCoordinator: TransactionCoordinator | undefined;
  /** One budget of request bytes for every listener (Kafka's queued.max.request.bytes is per broker). */
  private requestMemory: RequestMemoryBudget | undefined;

  constructor(options: BrokerOptions = {}, deps: BrokerDeps = {}) {
    this.config = resolveBrokerConfig(options);
    this.clock = this.config.clock;
    this.log = deps.logger ?? createLogger('sluice-broker', this.config.logLevel);
    this.quotas = this.config.quotas ? new ProduceQuotas(this.config.quotas, this.clock) : undefined;
    this.producers = new ProducerStates(this.clock);
    for (const h of coreHandlers) this.registry.register(h);
  }

  /** Opens the logs and listens. Resolves with the bound address (the real port when started on 0). */
  async start(): Promise<{ host: string; port: number }> {
    if (this.server) throw new Error('broker already started');
    const { store, manager, recovery } = await openTopicStore(this.config, this.log);
    this.topicStore = store;
    this.manager = manager;
    this.recoverySummary = recovery;
    try {
      const restored = await restoreProducerStates(store, this.producers);
      if (restored.batches > 0)
        this.log.info(restored, 'idempotent and transactional producer state rebuilt from the log');
      this.groupCoordinator = await startBrokerGroups(this, store, this.config.groups);
      for (const h of groupHandlers(this.groupCoordinator)) this.registry.register(h);
      this.transactionCoordinator = await startBrokerTransactions(
        this,
        store,
        this.groupCoordinator,
        this.config.transactions,
      );
      for (const h of transactionHandlers(this.transactionCoordinator, this.groupCoordinator))
        this.registry.register(h);
    } catch (err) {
      await this.undoStart(store);
      throw err;
    }
    try {
      this.securityLayer = await BrokerSecurity.open(
        this.config.security,
        this.config.durability === 'memory' ? undefined : this.config.dataDir,
        this.clock,
        this.log,
      );
      await this.listen();
    } catch (err) {
      await Promise.all(this.listenerServers.map((l) => l.server.stop(0)));
      this.listenerServers = [];
      await this.undoStart(store);
      throw err;
    }
    this.server = this.listenerServers[0].server;
    this.log.info(
      { address: this.address, dataDir: this.config.dataDir, durability: this.config.durability },
      'broker listening',
    );
    return this.address;
  }

  /** Opens one server per listener; TLS listeners get the configured certificate. */
  private async listen(): Promise<void> {
    const budget = this.config.queuedMaxRequestBytes;
    this.requestMemory = budget === undefined ? undefined : new RequestMemoryBudget(budget);
    const tls = this.config.listeners.some((l) => usesTls(l.protocol))
      ? tlsServerOptions(this.config.security.tls!)
      : undefined;
    for (const listener of this.config.listeners) {
      const server = new KafkaServer(
        {
          host: listener.host,
          port: listener.port,
          maxRequestBytes: this.config.maxRequestBytes,
          requestMemory: this.requestMemory,
          frameReadTimeoutMs: this.config.frameReadTimeoutMs,
          maxInFlight: this.config.maxInFlightPerConnection,
          idleMs: this.config.connectionsMaxIdleMs,
          shutdownGraceMs: this.config.shutdownGraceMs,
          frameBuffers: this.readBuffers,
          tls: usesTls(listener.protocol) ? tls : undefined,
          onAccept: (conn, socket) => this.security.attach(conn, listener, socket),
        },
        (frame, conn) => this.dispatch(frame, conn),
        this.clock,
        this.log,
        this.metrics,
      );
      await server.listen();
      this.listenerServers.push({ listener, server });
      const { host, port } = server.address;
      if (
        listener.protocol === 'PLAINTEXT' ||
        (listener.protocol === 'SSL' && tls?.rejectUnauthorized !== true)
      ) {
        if (this.config.allowInsecure && !['127.0.0.1', '::1'].includes(host)) {
          this.log.warn(
            { listener: listener.protocol, host, port },
            'listening without authentication on a non-loopback address (--allow-insecure): anyone who reaches it can read, write and delete every topic',
          );
        }
      }
      this.log.info({ listener: listener.protocol, host, port }, 'listener open');
    }
  }

  /** Every listener with its protocol and bound address. */
  get listenerAddresses(): Array<{ protocol: string; host: string; port: number }> {
    return this.listenerServers.map(({ listener, server }) => ({
      protocol: listener.protocol,
      ...server.address,
    }));
  }

  /** The bound address of the listener speaking `protocol`. */
  listenerAddress(protocol: string): { host: string; port: number } {
    const found = this.listenerServers.find((l) => l.listener.protocol === protocol);
    if (!found)
      throw new Error(
        `no ${protocol} listener; configured: ${this.config.listeners.map((l) => l.protocol).join(', ')}`,
      );
    return found.server.address;
  }

  get security(): BrokerSecurity {
    return whileRunning(this.securityLayer);
  }

  /** A start() that failed part way: closes the coordinators and the logs it had opened. */
  private async undoStart(store: TopicStore): Promise<void> {
    this.transactionCoordinator?.close();
    this.transactionCoordinator = undefined;
    this.groupCoordinator?.close();
    this.groupCoordinator = undefined;
    await store.close();
    this.topicStore = undefined;
    this.manager = undefined;
  }

  /**
   * Stops accepting, lets in-flight requests finish and peers close (up to `graceMs`, default the
   * `shutdownGraceMs` option; then the sockets are destroyed), flushes and closes the logs.
   */
  async stop(graceMs = this.config.shutdownGraceMs): Promise<void> {
    const servers = this.listenerServers;
    this.listenerServers = [];
    this.server = undefined;
    // Members waiting in JoinGroup/SyncGroup are answered now, so the drain below does not wait out a rebalance.
    this.groupCoordinator?.close();
    this.transactionCoordinator?.close();
    await Promise.all(servers.map(({ server }) => server.stop(graceMs)));
    // Markers of transactions already answered by EndTxn are written before the logs close.
    await this.transactionCoordinator?.settled();
    this.groupCoordinator = undefined;
    this.transactionCoordinator = undefined;
    const store = this.topicStore;
    this.topicStore = undefined;
    this.manager = undefined;
    if (store) await store.close();
  }

  get address(): { host: string; port: number } {
    return whileRunning(this.server).address;
  }

  get store(): TopicStore {
    return whileRunning(this.topicStore);
  }

  /** The consumer group coordinator (membership, rebalances, committed offsets). */
  get groups(): GroupCoordinator {
    return whileRunning(this.groupCoordinator);
  }

  /** The transaction coordinator (transactional ids, their transactions, `__transaction_state`). */
  get transactions(): TransactionCoordinator {
    return whileRunning(this.transactionCoordinator);
  }

  /** Storage itself (partition logs, retention, stats), for callers that need more than the handlers' view. */
  get logManager(): LogManager {
    return whileRunning(this.manager);
  }

  /** What storage found and repaired when it opened the logs. */
  get recovery(): RecoverySummary | undefined {
    return this.recoverySummary;
  }

  get connectionCount(): number {
    return this.listenerServers.reduce((n, l) => n + l.server.connectionCount, 0);
  }

  /** Request bytes connections hold right now, against --queued-max-request-bytes (shared by all listeners). */
  get requestMemoryInUse(): number {
    return this.requestMemory?.inUse ?? 0;
  }

  advertised(conn?: ConnectionInfo): { host: string; port: number } {
    const listener = conn ? this.security.session(conn).listener : this.config.listeners[0];
    const bound = this.listenerServers.find((l) => l.listener === listener)?.server.address ?? this.address;
    return { host: listener.advertisedHost, port: listener.advertisedPort ?? bound.port };
  }

  isInternalTopic(name: string): boolean {
    return this.internalTopics.has(name);
  }

  /** Marks a topic as the broker's own (Metadata reports it `isInternal`; it cannot be deleted). */
  registerInternalTopic(name: string): void {
    this.internalTopics.add(name);
  }

  async autoCreateTopic(name: string): Promise<boolean> {
    if (this.store.partitionCount(name) !== undefined) return true;
    if (!this.config.autoCreateTopics) return false;
    let pending = this.creating.get(name);
    if (!pending) {
      pending = this.store
        .createTopic(name, this.config.defaultPartitions, {})
        .then(() => {
          this.log.info({ topic: name, partitions: this.config.defaultPartitions }, 'topic auto-created');
          return true;
        })
        .catch((err: unknown) => {
          if (err instanceof TopicStoreError) return this.store.partitionCount(name) !== undefined;
          throw err;
        })
        .finally(() => this.creating.delete(name));
      this.creating.set(name, pending);
    }
    return pending;
  }

  /** The version table handlers serve, in the shape the codec takes. */
  versionTable(): Record<number, SupportedVersionRange> {
    return this.registry.versionTable();
  }

  private async dispatch(frame: Buffer, connection: ConnectionInfo): Promise<DispatchOutcome> {
    // After SaslHandshake v0 the client sends bare SASL tokens, not requests (kafka-python 2.0).
    if (this.security.expectsBareToken(connection)) return this.security.bareToken(connection, frame);
    let header: RequestHeader;
    try {
      header = decodeRequestHeader(frame);
    } catch (err) {
      throw new CloseConnection(`undecodable request header: ${(err as Error).message}`);
    }
    const { apiKey, apiVersion, correlationId } = header;
    this.security.admit(connection, apiKey);
    const handler = this.registry.get(apiKey);
    if (!handler) {
      throw new CloseConnection(
        `${apiName(apiKey)} (key ${apiKey}) is not supported (client ${header.clientId})`,
      );
    }
    if (!this.registry.supports(apiKey, apiVersion)) {
      if (apiKey === API_VERSIONS) {
        // Kafka answers an ApiVersions it cannot parse in the v0 layout, so the client can pick again.
        return { response: encodeApiVersionsFallback(correlationId, this.versionTable()) };
      }
      throw new CloseConnection(
        `${handler.name} v${apiVersion} is not supported (v${handler.minVersion}-v${handler.maxVersion}; client ${header.clientId})`,
      );
    }
    let body: unknown;
    try {
      body = decodeRequest(frame, { versions: this.versionTable() }).body;
    } catch (err) {
      if (err instanceof ProtocolDecodeError) throw new CloseConnection(`malformed request: ${err.message}`);
      throw err;
    }
    const afterSend: Array<() => void> = [];
    const ctx: RequestContext = {
      apiKey,
      apiVersion,
      correlationId,
      clientId: header.clientId,
      connection,
      broker: this,
      throttleMs: 0,
      noResponse: false,
      afterSend: (fn) => afterSend.push(fn),
      closeAfterResponse: false,
    };
    const started = this.clock.now();
    this.metrics.requests.inc({ api: handler.name, version: String(apiVersion) });
    const result = await handler.handle(body as never, ctx);
    this.metrics.requestSeconds.observe({ api: handler.name }, (this.clock.now() - started) / 1000);
    const response = ctx.noResponse
      ? null
      : handler.detachesRecords
        ? encodeResponseChunks(apiKey, apiVersion, correlationId, result as never)
        : encodeResponse(apiKey, apiVersion, correlationId, result as never);
    // The connection runs `sent` once it has written the response (at once when there is none).
    const sent =
      afterSend.length === 0
        ? undefined
        : () => {
            for (const fn of afterSend) fn();
          };
    const requestReleased = handler.releasesRequest === true;
    if (ctx.closeAfterResponse) return { response, closeAfter: 'authentication_failed', sent };
    if (ctx.throttleMs <= 0) return { response, sent, requestReleased };
    this.metrics.produceThrottleMs.inc(ctx.throttleMs);
    if (
      response === null ||
      (handler.clientThrottlesFrom !== undefined && apiVersion >= handler.clientThrottlesFrom)
    ) {
      // KIP-219: answer now and stop reading this connection for the throttle time.
      return { response, muteMs: ctx.throttleMs, sent, requestReleased };
    }
    // Older versions: the client does not back off itself, so the broker holds the response.
    await this.clock.sleep(ctx.throttleMs, connection.signal).catch(() => undefined);
    return { response, sent, requestReleased };
  }
}

/** `part` of a started broker; before start() (or after stop()) an error that says to start it. */
function whileRunning<T>(part: T | undefined): T {
  if (part === undefined) throw new Error('broker is not running; call start() first');
  return part;
}
