import type { Logger } from 'pino';
import type { Clock } from '../flow/clock.js';
import type { SupportedVersionRange } from '../protocol/api-keys.js';
import type { BrokerSecurity } from './auth/security.js';
import type { BrokerConfig } from './config.js';
import type { ConnectionInfo } from './connection.js';
import type { BrokerMetrics } from './metrics.js';
import type { ProducerStates } from './producer-state.js';
import type { ProduceQuotas } from './quotas.js';
import type { ReadBufferPool } from './storage/read-buffers.js';
import type { TopicStore } from './topic-store.js';
import type { TransactionCoordinator } from './txn/coordinator.js';

/** What handlers may use of the broker: its configuration, storage, quotas, metrics and clock. */
export interface BrokerCore {
  readonly config: BrokerConfig;
  readonly store: TopicStore;
  readonly metrics: BrokerMetrics;
  readonly quotas: ProduceQuotas | undefined;
  /** Producer state: idempotent producers' sequence numbers, open and aborted transactions per partition. */
  readonly producers: ProducerStates;
  /** Transactional ids and their transactions (verifies transactional Produce batches). */
  readonly transactions: TransactionCoordinator;
  readonly clock: Clock;
  readonly log: Logger;
  readonly registry: HandlerRegistry;
  /** Recycled buffers for Fetch's segment reads (handed back once the response is written). */
  readonly readBuffers: ReadBufferPool;
  /** Authentication sessions, credentials, ACLs and the authorizer's decisions. */
  readonly security: BrokerSecurity;
  /**
   * The host:port clients are told to connect to (the bound port when started on port 0): that of the
   * listener `conn` came in on, or of the first listener.
   */
  advertised(conn?: ConnectionInfo): { host: string; port: number };
  /** Topics the broker keeps for itself (e.g. `__consumer_offsets`), flagged `isInternal` in Metadata. */
  isInternalTopic(name: string): boolean;
  /** Creates `name` with the default partition count if auto-creation is on; true if it exists afterwards. */
  autoCreateTopic(name: string): Promise<boolean>;
}

export interface RequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly connection: ConnectionInfo;
  readonly broker: BrokerCore;
  /**
   * Set by a handler to hold the client back (produce quota). The dispatcher delays the response
   * (old versions) or mutes the connection after answering (versions with client-side throttling).
   */
  throttleMs: number;
  /** Set by a handler when the client expects no response (Produce with acks=0). */
  noResponse: boolean;
  /**
   * Registers `fn` to run once the response's bytes have been handed to the socket (or the connection
   * has gone): what the response refers to, such as pooled read buffers, may be reused from then on.
   */
  afterSend(fn: () => void): void;
  /** Set by a handler to close the connection once its response is written (failed authentication). */
  closeAfterResponse: boolean;
}

/** One Kafka API: the versions we serve and how to turn a decoded request into a response body. */
export interface ApiHandler<Req = unknown, Res = unknown> {
  readonly apiKey: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * From this version on the client honours throttle_time_ms itself (KIP-219), so the broker answers
   * at once and mutes the connection instead of delaying the response.
   */
  readonly clientThrottlesFrom?: number;
  /**
   * The response carries record sets to hand to the socket by reference (Fetch): it is written as the
   * encoded fields plus the record buffers themselves, never copied into one frame.
   */
  readonly detachesRecords?: boolean;
  /**
   * Once answered, nothing the handler started refers to the request's bytes (Produce: storage has
   * copied or written the records before the answer), so a pooled request buffer can be reused.
   */
  readonly releasesRequest?: boolean;
  handle(request: Req, ctx: RequestContext): Promise<Res> | Res;
}

/** The APIs a broker serves. Later work (consumer groups) adds its handlers with {@link register}. */
export class HandlerRegistry {
  private readonly handlers = new Map<number, ApiHandler>();
  private table: Record<number, SupportedVersionRange> | undefined;

  register<Req, Res>(handler: ApiHandler<Req, Res>): this {
    this.handlers.set(handler.apiKey, handler as unknown as ApiHandler);
    this.table = undefined;
    return this;
  }

  /** The versions served, in the shape the codec takes; built once per change, not per request. */
  versionTable(): Record<number, SupportedVersionRange> {
    if (!this.table) {
      const table: Record<number, SupportedVersionRange> = {};
      for (const h of this.handlers.values()) table[h.apiKey] = { min: h.minVersion, max: h.maxVersion };
      this.table = table;
    }
    return this.table;
  }

  get(apiKey: number): ApiHandler | undefined {
    return this.handlers.get(apiKey);
  }

  supports(apiKey: number, apiVersion: number): boolean {
    const h = this.handlers.get(apiKey);
    return h !== undefined && apiVersion >= h.minVersion && apiVersion <= h.maxVersion;
  }

  /** The ApiVersions table, sorted by key. */
  versions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
    return [...this.handlers.values()]
      .sort((a, b) => a.apiKey - b.apiKey)
      .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
  }
}

/**
 * The key and name of the API a handler serves, taken from its declarative description (so each is
 * written once), with the versions this broker serves of it (often fewer than the description covers).
 */
export function serves(
  api: { readonly key: number; readonly name: string },
  minVersion: number,
  maxVersion: number,
): Pick<ApiHandler, 'apiKey' | 'name' | 'minVersion' | 'maxVersion'> {
  return { apiKey: api.key, name: api.name, minVersion, maxVersion };
}
