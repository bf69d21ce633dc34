import type { Clock } from '../flow/clock.js';
import { realClock } from '../flow/clock.js';
import { checkNumber } from '../flow/validate.js';
import {
  isLoopback,
  ListenerConfigError,
  type ListenerSpec,
  resolveListeners,
  usesSasl,
  usesTls,
} from './auth/listeners.js';
import type { SecurityOptions } from './auth/security.js';
import type { BrokerGroupsOptions } from './groups/config.js';
import { DEFAULT_FRAME_READ_TIMEOUT_MS, DEFAULT_QUEUED_MAX_REQUEST_BYTES } from './request-memory.js';
import type { BrokerTransactionsOptions } from './txn/config.js';

export type Durability = 'memory' | 'async' | 'sync';
export type QuotaMode = 'throttle' | 'reject';
/** pino's levels; 'silent' logs nothing. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Per-partition produce limits, like a Kinesis shard (1000 records/s, 1 MB/s). */
export interface ProduceQuotaConfig {
  /** Records per second per partition; undefined = unlimited. */
  recordsPerSecond?: number;
  /** Bytes per second per partition; undefined = unlimited. */
  bytesPerSecond?: number;
  /** `throttle`: accept and delay (Kafka). `reject`: refuse with a retriable error (Kinesis). */
  mode: QuotaMode;
}

/** What callers may pass: everything optional, validated by {@link resolveBrokerConfig}. */
export interface BrokerOptions {
  host?: string;
  port?: number;
  advertisedHost?: string;
  nodeId?: number;
  dataDir?: string;
  durability?: Durability;
  defaultPartitions?: number;
  autoCreateTopics?: boolean;
  maxRequestBytes?: number;
  /** Request bytes all connections may hold at once (Kafka's queued.max.request.bytes). */
  queuedMaxRequestBytes?: number;
  /** A request frame that has started to arrive must be complete within this (slow-loris guard). */
  frameReadTimeoutMs?: number;
  maxInFlightPerConnection?: number;
  connectionsMaxIdleMs?: number;
  /** How long stop() waits for in-flight answers and peers to close before destroying their sockets. */
  shutdownGraceMs?: number;
  /** Largest record batch a partition accepts (Kafka's message.max.bytes default). */
  messageMaxBytes?: number;
  quotas?: ProduceQuotaConfig;
  clock?: Clock;
  /** Consumer group coordinator settings (session bounds, initial rebalance delay, offsets retention). */
  groups?: BrokerGroupsOptions;
  /** The transaction coordinator: timeouts and `__transaction_state` partitions. */
  transactions?: BrokerTransactionsOptions;
  /**
   * What the broker logs (pino JSON on stderr). Default: `SLUICE_LOG_LEVEL` when set, else 'warn', so a
   * broker embedded in a program or a test stays quiet; `sluice broker` passes 'info'. Ignored when a
   * logger is passed in `BrokerDeps`.
   */
  logLevel?: LogLevel;
  /**
   * Kafka's `listeners`: `PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093`. Default: one PLAINTEXT
   * listener on `host`:`port`. Each protocol at most once.
   */
  listeners?: string;
  /** Kafka's `advertised.listeners`, by protocol; default: each listener's own address. */
  advertisedListeners?: string;
  /** TLS files, SASL users and mechanisms, the authorizer (see docs/security.md). */
  security?: SecurityOptions;
  /**
   * Listen on a non-loopback address without authentication (PLAINTEXT, or SSL without required client
   * certificates). Refused unless set, so that an open broker is a decision, not an accident.
   */
  allowInsecure?: boolean;
}

export interface BrokerConfig {
  host: string;
  port: number;
  advertisedHost: string;
  nodeId: number;
  dataDir: string;
  durability: Durability;
  defaultPartitions: number;
  autoCreateTopics: boolean;
  maxRequestBytes: number;
  queuedMaxRequestBytes: number;
  frameReadTimeoutMs: number;
  maxInFlightPerConnection: number;
  connectionsMaxIdleMs: number;
  shutdownGraceMs: number;
  messageMaxBytes: number;
  quotas: ProduceQuotaConfig | undefined;
  clock: Clock;
  groups: BrokerGroupsOptions;
  transactions: BrokerTransactionsOptions;
  logLevel: LogLevel;
  listeners: ListenerSpec[];
  security: SecurityOptions;
  allowInsecure: boolean;
}

export class BrokerConfigError extends Error {
  override name = 'BrokerConfigError';
}

export const BROKER_DEFAULTS = {
  host: '127.0.0.1',
  port: 9092,
  nodeId: 0,
  dataDir: './.sluice',
  durability: 'async' as Durability,
  defaultPartitions: 1,
  autoCreateTopics: true,
  maxRequestBytes: 100 * 1024 * 1024,
  queuedMaxRequestBytes: DEFAULT_QUEUED_MAX_REQUEST_BYTES,
  frameReadTimeoutMs: DEFAULT_FRAME_READ_TIMEOUT_MS,
  maxInFlightPerConnection: 32,
  connectionsMaxIdleMs: 600_000,
  shutdownGraceMs: 5_000,
  messageMaxBytes: 1_048_588,
};

function integer(name: string, value: unknown, min: number, max: number, hint: string): number {
  return checkNumber(name, value, { integer: true, min, max }, (m) => new BrokerConfigError(`${m}; ${hint}`));
}

function positive(name: string, value: unknown, hint: string): number {
  return checkNumber(name, value, { positive: true }, (m) => new BrokerConfigError(`${m}; ${hint}`));
}

function nonEmpty(name: string, value: unknown, hint: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new BrokerConfigError(`${name} must be a non-empty string (got ${JSON.stringify(value)}); ${hint}`);
  }
  return value;
}

/** Fills defaults and checks every field, so a bad option fails at start with a message saying what to fix. */
export function resolveBrokerConfig(options: BrokerOptions = {}): BrokerConfig {
  const o = { ...BROKER_DEFAULTS, ...stripUndefined(options) };
  const host = nonEmpty('host', o.host, 'use an interface address such as 127.0.0.1');
  const durability = o.durability;
  if (durability !== 'memory' && durability !== 'async' && durability !== 'sync') {
    throw new BrokerConfigError(
      `durability must be one of memory, async, sync (got ${JSON.stringify(durability)})`,
    );
  }
  const wildcard = host === '0.0.0.0' || host === '::';
  const advertisedHost = nonEmpty(
    'advertisedHost',
    options.advertisedHost ?? (wildcard ? '127.0.0.1' : host),
    'clients connect to this address, so it must be reachable',
  );
  const quotas = options.quotas && resolveQuotas(options.quotas);
  const port = integer('port', o.port, 0, 65535, 'use 0 to pick a free port');
  const security = options.security ?? {};
  const allowInsecure = options.allowInsecure ?? false;
  const listeners = resolveListenerConfig(options, host, port, advertisedHost, security, allowInsecure);
  return {
    host: listeners[0].host,
    port: listeners[0].port,
    advertisedHost,
    nodeId: integer('nodeId', o.nodeId, 0, 2 ** 31 - 1, 'a single broker is usually node 0'),
    dataDir: nonEmpty('dataDir', o.dataDir, 'a directory for the partition logs'),
    durability,
    ...resolveLimits(o),
    quotas,
    clock: o.clock ?? realClock,
    groups: o.groups ?? {},
    transactions: o.transactions ?? {},
    logLevel: logLevel(options.logLevel ?? process.env.SLUICE_LOG_LEVEL ?? 'warn'),
    listeners,
    security,
    allowInsecure,
  };
}

/** Produce quotas: a mode and at least one positive rate. */
function resolveQuotas(q: NonNullable<BrokerOptions['quotas']>): ProduceQuotaConfig {
  if (q.mode !== 'throttle' && q.mode !== 'reject') {
    throw new BrokerConfigError(`quotas.mode must be throttle or reject (got ${JSON.stringify(q.mode)})`);
  }
  if (q.recordsPerSecond === undefined && q.bytesPerSecond === undefined) {
    throw new BrokerConfigError('quotas need recordsPerSecond and/or bytesPerSecond (e.g. 1000 and 1048576)');
  }
  return {
    mode: q.mode,
    recordsPerSecond:
      q.recordsPerSecond === undefined
        ? undefined
        : positive('quotas.recordsPerSecond', q.recordsPerSecond, 'e.g. 1000 like a Kinesis shard'),
    bytesPerSecond:
      q.bytesPerSecond === undefined
        ? undefined
        : positive('quotas.bytesPerSecond', q.bytesPerSecond, 'e.g. 1048576 like a Kinesis shard'),
  };
}

/** The numeric limits: partitions, request sizes and timeouts, connection and shutdown bounds. */
function resolveLimits(o: typeof BROKER_DEFAULTS & BrokerOptions) {
  return {
    defaultPartitions: integer(
      'defaultPartitions',
      o.defaultPartitions,
      1,
      100_000,
      'the partition count of auto-created topics',
    ),
    autoCreateTopics: bool('autoCreateTopics', o.autoCreateTopics),
    maxRequestBytes: integer(
      'maxRequestBytes',
      o.maxRequestBytes,
      64,
      2 ** 31 - 1,
      'Kafka calls it socket.request.max.bytes',
    ),
    queuedMaxRequestBytes: integer(
      'queuedMaxRequestBytes',
      o.queuedMaxRequestBytes,
      64,
      2 ** 40,
      "request bytes held across all connections (Kafka's queued.max.request.bytes)",
    ),
    frameReadTimeoutMs: integer(
      'frameReadTimeoutMs',
      o.frameReadTimeoutMs,
      1,
      2 ** 31 - 1,
      'how long a request that has started to arrive may take to arrive whole',
    ),
    maxInFlightPerConnection: integer(
      'maxInFlightPerConnection',
      o.maxInFlightPerConnection,
      1,
      10_000,
      'requests a connection may have pending',
    ),
    connectionsMaxIdleMs: integer(
      'connectionsMaxIdleMs',
      o.connectionsMaxIdleMs,
      1,
      2 ** 31 - 1,
      'Kafka calls it connections.max.idle.ms',
    ),
    shutdownGraceMs: integer(
      'shutdownGraceMs',
      o.shutdownGraceMs,
      0,
      2 ** 31 - 1,
      'how long stop() lets connections finish before closing them',
    ),
    messageMaxBytes: integer(
      'messageMaxBytes',
      o.messageMaxBytes,
      64,
      2 ** 31 - 1,
      'the largest record batch accepted',
    ),
  };
}

/** The listeners, checked: TLS ones need certificate files, and none may be open to the network by accident. */
function resolveListenerConfig(
  options: BrokerOptions,
  host: string,
  port: number,
  advertisedHost: string,
  security: SecurityOptions,
  allowInsecure: boolean,
): ListenerSpec[] {
  let listeners: ListenerSpec[];
  try {
    listeners = options.listeners
      ? resolveListeners(options.listeners, options.advertisedListeners)
      : [{ protocol: 'PLAINTEXT', host, port, advertisedHost, advertisedPort: undefined }];
  } catch (err) {
    if (err instanceof ListenerConfigError) throw new BrokerConfigError(err.message);
    throw err;
  }
  for (const l of listeners) {
    if (usesTls(l.protocol) && !security.tls) {
      throw new BrokerConfigError(
        `the ${l.protocol} listener needs a certificate and key: pass --tls-cert and --tls-key (security.tls)`,
      );
    }
    const authenticated =
      usesSasl(l.protocol) || (l.protocol === 'SSL' && security.tls?.clientAuth === 'required');
    if (!authenticated && !isLoopback(l.host) && !allowInsecure) {
      throw new BrokerConfigError(
        `refusing to listen on ${l.host}:${l.port} (${l.protocol}) without authentication: anyone who reaches it ` +
          'could read, write and delete every topic. Use a SASL_SSL or SASL_PLAINTEXT listener (or SSL with ' +
          'required client certificates), bind to 127.0.0.1, or pass --allow-insecure if this is really wanted',
      );
    }
  }
  return listeners;
}

function logLevel(value: unknown): LogLevel {
  if (!LOG_LEVELS.includes(value as LogLevel)) {
    throw new BrokerConfigError(
      `logLevel must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(value)}; SLUICE_LOG_LEVEL sets the default)`,
    );
  }
  return value as LogLevel;
}

function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new BrokerConfigError(`${name} must be true or false (got ${JSON.stringify(value)})`);
  return value;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
