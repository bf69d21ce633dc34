import type { Clock, Timer } from '../flow/clock.js';
import { ApiKey, apiName } from '../protocol/api-keys.js';
import type { KnownApiKey } from '../protocol/apis/index.js';
import type { SkipFields } from '../protocol/codec/read.js';
import { decodeResponse, encodeRequest, type RequestBody, type ResponseBody } from '../protocol/messages.js';
import { Connection, type ConnectionOptions, type ConnectionStats } from './connection.js';
import { brokerError } from './errors.js';
import { authenticateSasl, reauthenticationDelayMs, type SaslTransport } from './sasl.js';
import type { ClientSecurity } from './security.js';
import { type BrokerVersions, chooseVersion } from './versions.js';

/**
 * A Connection that speaks Kafka: it negotiates versions with ApiVersions once per TCP connection,
 * encodes and decodes with the shared protocol codec, and honours `throttle_time_ms` by holding
 * further requests to that broker until the throttle has passed (KIP-219), counting the time held.
 * With SASL it authenticates each TCP connection after ApiVersions and, when the broker gives the
 * session a lifetime (KIP-368), re-authenticates on the same connection before it runs out.
 */

export interface BrokerConnectionOptions extends ConnectionOptions {
  nodeId: number;
  clientId: string;
}

export interface RequestOptions {
  timeoutMs?: number;
  /** False for Produce acks=0. */
  expectResponse?: boolean;
  /**
   * Response fields the caller never reads, stepped over instead of decoded (they come back as their
   * defaults; see SkipFields in src/protocol/codec/read.ts).
   */
  skipFields?: SkipFields;
}

export interface BrokerConnectionStats extends ConnectionStats {
  nodeId: number;
  address: string;
  throttledMs: number;
  /** SASL re-authentications done on live connections (KIP-368). */
  reauthentications: number;
}

type Body<K extends KnownApiKey> = RequestBody<K> | ((version: number) => RequestBody<K>);

export class BrokerConnection {
  readonly nodeId: number;
  readonly clientId: string;
  readonly connection: Connection;
  private readonly clock: Clock;
  private versions: BrokerVersions | null = null;
  /** Chosen version per API key for the current TCP connection. */
  private chosen: number[] = [];
  private throttledUntil = 0;
  private throttledMs = 0;
  private reauthTimer: Timer | null = null;
  private reauthentications = 0;

  constructor(options: BrokerConnectionOptions) {
    this.nodeId = options.nodeId;
    this.clientId = options.clientId;
    this.clock = options.clock;
    // Every new socket negotiates (and authenticates) before any request queued for it goes out.
    this.connection = new Connection({ ...options, onSocket: (send) => this.negotiate(send) });
    // A reconnect may reach an upgraded broker: negotiate again.
    this.connection.on('disconnect', () => {
      this.versions = null;
      this.chosen = [];
      this.cancelReauthentication();
    });
  }

  get address(): string {
    return this.connection.address;
  }

  /** Connects, which negotiates versions (and authenticates) once per TCP connection. */
  async ready(): Promise<BrokerVersions> {
    for (;;) {
      if (this.versions && this.connection.isConnected()) return this.versions;
      await this.connection.connect();
      // A socket lost right after connecting is connected (and negotiated) again by the next turn.
      if (this.versions) return this.versions;
    }
  }

  /** The version this connection uses for `apiKey` (after `ready()`). */
  async versionFor(apiKey: number): Promise<number> {
    return chooseVersion(apiKey, await this.ready(), this.describe());
  }

  async request<K extends KnownApiKey>(
    apiKey: K,
    body: Body<K>,
    options: RequestOptions = {},
  ): Promise<ResponseBody<K>> {
    const versions = await this.ready();
    let version = this.chosen[apiKey];
    if (version === undefined) {
      version = chooseVersion(apiKey, versions, this.describe());
      this.chosen[apiKey] = version;
    }
    return this.requestAt(apiKey, version, body, options);
  }

  async requestAt<K extends KnownApiKey>(
    apiKey: K,
    version: number,
    body: Body<K>,
    options: RequestOptions = {},
  ): Promise<ResponseBody<K>> {
    const wait = this.throttledUntil - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait);
    const payload = typeof body === 'function' ? (body as (v: number) => RequestBody<K>)(version) : body;
    const frame = await this.connection.send(
      (correlationId) => encodeRequest(apiKey, version, correlationId, this.clientId, payload),
      {
        what: `${apiName(apiKey)} v${version}`,
        timeoutMs: options.timeoutMs,
        expectResponse: options.expectResponse,
      },
    );
    if (options.expectResponse === false) return undefined as unknown as ResponseBody<K>;
    const decoded = decodeResponse(apiKey, version, frame, options.skipFields ?? null).body;
    const throttle = (decoded as { throttleTimeMs?: number }).throttleTimeMs ?? 0;
    if (throttle > 0) {
      this.throttledMs += throttle;
      this.throttledUntil = Math.max(this.throttledUntil, this.clock.now() + throttle);
    }
    return decoded;
  }

  stats(): BrokerConnectionStats {
    return {
      nodeId: this.nodeId,
      address: this.address,
      throttledMs: this.throttledMs,
      reauthentications: this.reauthentications,
      ...this.connection.stats(),
    };
  }

  close(): Promise<void> {
    this.cancelReauthentication();
    return this.connection.close();
  }

  private describe(): string {
    return this.nodeId >= 0 ? `${this.nodeId} (${this.address})` : this.address;
  }

  /** ApiVersions, then SASL when configured: the opening of every TCP connection. */
  private async negotiate(sendNow: Connection['send']): Promise<void> {
    // v2 first (non-flexible); a broker without it answers in the v0 layout with UNSUPPORTED_VERSION
    // and its list, which is all we need.
    const frame = await sendNow(
      (correlationId) => encodeRequest(ApiKey.ApiVersions, 2, correlationId, this.clientId, {}),
      { what: 'ApiVersions v2' },
    );
    let body: ResponseBody<typeof ApiKey.ApiVersions>;
    try {
      body = decodeResponse(ApiKey.ApiVersions, 2, frame).body;
      if (body.errorCode === 35) body = decodeResponse(ApiKey.ApiVersions, 0, frame).body;
    } catch {
      body = decodeResponse(ApiKey.ApiVersions, 0, frame).body;
    }
    if (body.errorCode !== 0 && body.apiKeys.length === 0) {
      throw brokerError(body.errorCode, `ApiVersions to ${this.address}`);
    }
    const map = new Map<number, { min: number; max: number }>();
    for (const k of body.apiKeys) map.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
    const sasl = this.connection.security?.sasl;
    // A failure here closes the socket (Connection's onSocket), so it is never reused half-done.
    if (sasl) await this.authenticate(sasl, map, sendNow, '');
    this.versions = map;
    this.chosen = [];
  }

  /**
   * SASL on this TCP connection: right after ApiVersions (as Kafka's clients do), and again for a
   * re-authentication (`what` says so in errors).
   */
  private async authenticate(
    sasl: SaslSettings,
    versions: BrokerVersions,
    sendNow: Connection['send'],
    what: string,
  ): Promise<void> {
    const send = <K extends KnownApiKey>(key: K, version: number, body: RequestBody<K>) =>
      sendNow((correlationId) => encodeRequest(key, version, correlationId, this.clientId, body), {
        what: `${apiName(key)} v${version}${what}`,
      }).then((frame) => decodeResponse(key, version, frame).body);
    const session = await authenticateSasl(sasl, this.saslTransport(send, versions), this.address);
    this.scheduleReauthentication(sasl, versions, session.lifetimeMs);
  }

  /** SaslHandshake v1 and SaslAuthenticate (v1 when offered, for the session lifetime) over `send`. */
  private saslTransport(send: SaslSend, versions: BrokerVersions): SaslTransport {
    const authVersion = Math.min(1, versions.get(ApiKey.SaslAuthenticate)?.max ?? 0);
    return {
      handshake: (mechanism) => send(ApiKey.SaslHandshake, 1, { mechanism }),
      exchange: (authBytes) => send(ApiKey.SaslAuthenticate, authVersion, { authBytes }),
    };
  }

  private scheduleReauthentication(sasl: SaslSettings, versions: BrokerVersions, lifetimeMs: number): void {
    this.cancelReauthentication();
    if (lifetimeMs <= 0) return;
    this.reauthTimer = this.clock.setTimeout(() => {
      this.reauthTimer = null;
      void this.reauthenticate(sasl, versions);
    }, reauthenticationDelayMs(lifetimeMs));
  }

  private cancelReauthentication(): void {
    this.reauthTimer?.cancel();
    this.reauthTimer = null;
  }

  /**
   * KIP-368: the same SASL exchange again on the live connection, with the connection to itself (other
   * requests wait, since the broker reads the frames after SaslHandshake as SASL tokens). If it fails
   * the socket is dropped: the next request reconnects and authenticates afresh, and says why if that
   * fails too.
   */
  private async reauthenticate(sasl: SaslSettings, versions: BrokerVersions): Promise<void> {
    if (!this.connection.isConnected()) return;
    try {
      await this.connection.exclusive((sendNow) =>
        this.authenticate(sasl, versions, sendNow, ' (re-authentication)'),
      );
      this.reauthentications++;
    } catch (err) {
      this.connection.drop(err);
    }
  }
}

type SaslSettings = NonNullable<ClientSecurity['sasl']>;
type SaslSend = <K extends KnownApiKey>(
  key: K,
  version: number,
  body: RequestBody<K>,
) => Promise<ResponseBody<K>>;
