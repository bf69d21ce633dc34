import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { TLSSocket, TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { Clock } from '../../flow/clock.js';
import { ErrorCode } from '../../protocol/errors.js';
import { CloseConnection, type ConnectionInfo, type DispatchOutcome } from '../connection.js';
import { AclStore } from './acl.js';
import { CredentialStore } from './credentials.js';
import { type ListenerSpec, usesSasl } from './listeners.js';
import {
  PlainServer,
  SaslAuthenticationFailure,
  type SaslExchange,
  SCRAM_MECHANISMS,
  ScramServer,
} from './scram.js';

export const SASL_MECHANISMS = ['PLAIN', ...SCRAM_MECHANISMS] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];
export type ClientAuth = 'none' | 'requested' | 'required';

/** The principal of a connection nobody authenticated (Kafka's `User:ANONYMOUS`). */
export const ANONYMOUS = 'User:ANONYMOUS';

/** Kafka's connection.failed.authentication.delay.ms default. */
export const DEFAULT_FAILED_AUTH_DELAY_MS = 100;
/** Largest SASL token accepted: Kafka's sasl.server.max.receive.size default (512 KiB). */
export const MAX_SASL_TOKEN_BYTES = 524_288;
const UNAUTHENTICATED_FRAME_LIMIT = "before SASL authentication; Kafka's sasl.server.max.receive.size";

const API_SASL_HANDSHAKE = 17;
const API_VERSIONS = 18;
const API_SASL_AUTHENTICATE = 36;

export interface TlsFiles {
  /** PEM certificate chain of the broker (ssl.keystore in Kafka). */
  certFile: string;
  keyFile: string;
  /** PEM CA bundle that client certificates must chain to (ssl.truststore). */
  caFile?: string;
  /** Kafka's ssl.client.auth: ask for (or insist on) a client certificate; its DN becomes the principal. */
  clientAuth?: ClientAuth;
}

export interface AuthorizerOptions {
  /** Principals allowed everything, e.g. `User:admin` (Kafka's super.users). */
  superUsers?: string[];
  /** Kafka's allow.everyone.if.no.acl.found: a resource with no ACL at all is open. Default false. */
  allowEveryoneIfNoAclFound?: boolean;
}

/** The security part of the broker's options (listeners live beside it in BrokerOptions). */
export interface SecurityOptions {
  tls?: TlsFiles;
  /** Mechanisms SASL listeners offer; default all of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512. */
  saslMechanisms?: SaslMechanism[];
  /**
   * Users known in memory only (tests, embedding), in addition to `<dataDir>/users.json`. Passwords are
   * turned into salted credentials at start and not kept.
   */
  users?: Record<string, string>;
  /** Kafka's connection.failed.authentication.delay.ms. */
  failedAuthDelayMs?: number;
  /** Kafka's connections.max.reauth.ms (KIP-368): session lifetime given to SaslAuthenticate v1+; 0 = none. */
  reauthMs?: number;
  /** Turns on ACL enforcement (off by default: every principal may do everything). */
  authorizer?: AuthorizerOptions;
}

/** What the broker knows about one connection's identity. */
export class AuthSession {
  principal: string;
  authenticated: boolean;
  mechanism: SaslMechanism | undefined;
  exchange: SaslExchange | undefined;
  /** SaslHandshake v0 was used: the next frames are bare SASL tokens, not Kafka requests. */
  legacyTokens = false;
  /** When the session must be renewed (KIP-368); undefined = never. */
  expiresAt: number | undefined;
  /** The principal being re-authenticated, which must not change (Kafka refuses that too). */
  private previousPrincipal: string | undefined;

  constructor(
    readonly listener: ListenerSpec,
    readonly host: string,
    certificatePrincipal: string | undefined,
  ) {
    this.principal = certificatePrincipal ?? ANONYMOUS;
    this.authenticated = !usesSasl(listener.protocol);
  }

  beginExchange(mechanism: SaslMechanism, exchange: SaslExchange, legacy: boolean): void {
    if (this.authenticated) this.previousPrincipal = this.principal;
    this.mechanism = mechanism;
    this.exchange = exchange;
    this.legacyTokens = legacy;
  }

  complete(user: string, lifetimeMs: number, now: number): void {
    const principal = `User:${user}`;
    if (this.previousPrincipal !== undefined && this.previousPrincipal !== principal) {
      throw new SaslAuthenticationFailure('Cannot change principals during re-authentication');
    }
    this.principal = principal;
    this.authenticated = true;
    this.exchange = undefined;
    this.legacyTokens = false;
    this.previousPrincipal = undefined;
    this.expiresAt = lifetimeMs > 0 ? now + lifetimeMs : undefined;
  }
}

/** TLS server options for a listener from the configured files, read once at start. */
export function tlsServerOptions(files: TlsFiles): TlsOptions {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${path}: ${(err as Error).message}`);
    }
  };
  const clientAuth = files.clientAuth ?? 'none';
  if (clientAuth !== 'none' && !files.caFile) {
    throw new Error(
      `client authentication "${clientAuth}" needs a CA file (--tls-ca) to check client certificates`,
    );
  }
  return {
    cert: read('certificate', files.certFile),
    key: read('key', files.keyFile),
    ca: files.caFile ? read('CA bundle', files.caFile) : undefined,
    requestCert: clientAuth !== 'none',
    rejectUnauthorized: clientAuth === 'required',
    minVersion: 'TLSv1.2',
  };
}

/** Kafka's default principal for a client certificate: `User:` + the subject DN, most specific first. */
export function certificatePrincipal(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const subject = socket.getPeerCertificate()?.subject as Record<string, string | string[]> | undefined;
  if (!subject || Object.keys(subject).length === 0) return undefined;
  const parts = Object.entries(subject).flatMap(([k, v]) =>
    (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`),
  );
  return `User:${parts.reverse().join(',')}`;
}

/**
 * The broker's authentication and authorization: the credentials, the ACLs, and per connection its
 * session, which decides which requests may pass before the client has authenticated.
 */
export class BrokerSecurity {
  private readonly sessions = new WeakMap<ConnectionInfo, AuthSession>();
  readonly mechanisms: readonly SaslMechanism[];
  readonly failedAuthDelayMs: number;
  readonly reauthMs: number;
  private readonly superUsers: ReadonlySet<string>;

  constructor(
    private readonly options: SecurityOptions,
    readonly credentials: CredentialStore,
    readonly acls: AclStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.mechanisms = options.saslMechanisms ?? SASL_MECHANISMS;
    this.failedAuthDelayMs = options.failedAuthDelayMs ?? DEFAULT_FAILED_AUTH_DELAY_MS;
    this.reauthMs = options.reauthMs ?? 0;
    this.superUsers = new Set(options.authorizer?.superUsers ?? []);
  }

  /** Loads users and ACLs from the data dir (none when `dataDir` is undefined: memory durability). */
  static async open(
    options: SecurityOptions,
    dataDir: string | undefined,
    clock: Clock,
    log: Logger,
  ): Promise<BrokerSecurity> {
    const credentials = dataDir ? await CredentialStore.open(dataDir) : CredentialStore.inMemory();
    for (const [user, password] of Object.entries(options.users ?? {})) {
      await credentials.set(user, password, undefined, { persist: false });
    }
    const acls = dataDir ? await AclStore.open(dataDir) : AclStore.inMemory();
    return new BrokerSecurity(options, credentials, acls, clock, log);
  }

  get authorizerEnabled(): boolean {
    return this.options.authorizer !== undefined;
  }

  /** Called when a connection is accepted on a listener. */
  attach(conn: ConnectionInfo, listener: ListenerSpec, socket: Socket): void {
    const tlsSocket = socket as TLSSocket;
    const principal = tlsSocket.encrypted ? certificatePrincipal(tlsSocket) : undefined;
    this.sessions.set(conn, new AuthSession(listener, socket.remoteAddress ?? 'unknown', principal));
    // Until a client has authenticated it may not make the broker hold a large frame (up to
    // --max-request-bytes, 100 MiB) for it: Kafka caps those frames at sasl.server.max.receive.size.
    if (usesSasl(listener.protocol)) conn.limitFrames?.(MAX_SASL_TOKEN_BYTES, UNAUTHENTICATED_FRAME_LIMIT);
  }

  session(conn: ConnectionInfo): AuthSession {
    const s = this.sessions.get(conn);
    if (!s) throw new Error(`connection ${conn.id} has no security session`);
    return s;
  }

  /**
   * Refuses (by closing the connection, as Kafka does) any request but ApiVersions and the SASL ones
   * before authentication, and after a session's lifetime has run out.
   */
  admit(conn: ConnectionInfo, apiKey: number): void {
    const s = this.session(conn);
    if (apiKey === API_SASL_HANDSHAKE || apiKey === API_SASL_AUTHENTICATE) return;
    if (!s.authenticated) {
      if (apiKey === API_VERSIONS) return;
      throw new CloseConnection(
        `unexpected request (API key ${apiKey}) before SASL authentication on ${s.listener.protocol} listener`,
      );
    }
    if (s.expiresAt !== undefined && this.clock.now() >= s.expiresAt) {
      throw new CloseConnection(`SASL session of ${s.principal} expired without re-authentication`);
    }
  }

  /**
   * SaslHandshake: choose the mechanism; v0 switches the connection to bare tokens. `close` when the
   * exchange is broken (a second handshake in the middle of one): Kafka closes such a connection too.
   */
  handshake(conn: ConnectionInfo, mechanism: string, version: number): { errorCode: number; close: boolean } {
    const s = this.session(conn);
    if (!usesSasl(s.listener.protocol)) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, close: false };
    if (s.exchange !== undefined) {
      this.log.warn(
        { remote: conn.remote, mechanism, listener: s.listener.protocol },
        'closing connection: SaslHandshake in the middle of a SASL exchange',
      );
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, close: true };
    }
    if (!(this.mechanisms as readonly string[]).includes(mechanism)) {
      this.log.warn(
        { remote: s.host, mechanism },
        'SASL handshake asked for a mechanism this broker does not offer',
      );
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, close: false };
    }
    const m = mechanism as SaslMechanism;
    const lookup = this.credentials.get.bind(this.credentials);
    const exchange = m === 'PLAIN' ? new PlainServer(lookup) : new ScramServer(m, lookup);
    s.beginExchange(m, exchange, version === 0);
    return { errorCode: ErrorCode.NONE, close: false };
  }

  /**
   * One SASL token. Success gives the mechanism's answer; failure is logged with the client's
   * address and answered only after the failed-authentication delay, so guessing passwords is slow.
   */
  async authenticate(
    conn: ConnectionInfo,
    token: Buffer,
  ): Promise<
    { ok: true; challenge: Buffer; lifetimeMs: number } | { ok: false; errorCode: number; message: string }
  > {
    const s = this.session(conn);
    if (!s.exchange) {
      this.log.warn(
        { remote: conn.remote, listener: s.listener.protocol },
        'closing connection: SaslAuthenticate before a SaslHandshake',
      );
      return {
        ok: false,
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        message: 'SaslAuthenticate before a SaslHandshake',
      };
    }
    try {
      if (token.length > MAX_SASL_TOKEN_BYTES) {
        throw new SaslAuthenticationFailure(
          `SASL token of ${token.length} bytes exceeds ${MAX_SASL_TOKEN_BYTES}`,
        );
      }
      const { challenge, user } = await s.exchange.evaluate(token);
      if (user !== undefined) {
        s.complete(user, this.reauthMs, this.clock.now());
        conn.limitFrames?.(undefined);
        this.log.info(
          { remote: s.host, principal: s.principal, mechanism: s.mechanism },
          'client authenticated',
        );
      }
      return { ok: true, challenge, lifetimeMs: user !== undefined ? this.reauthMs : 0 };
    } catch (err) {
      if (!(err instanceof SaslAuthenticationFailure)) throw err;
      s.exchange = undefined;
      this.log.warn(
        { remote: conn.remote, mechanism: s.mechanism, listener: s.listener.protocol, reason: err.message },
        'failed authentication',
      );
      await this.clock.sleep(this.failedAuthDelayMs, conn.signal).catch(() => undefined);
      return { ok: false, errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, message: err.message };
    }
  }

  /** True while a SaslHandshake v0 client is sending bare tokens (kafka-python 2.0's flow). */
  expectsBareToken(conn: ConnectionInfo): boolean {
    return this.sessions.get(conn)?.legacyTokens === true;
  }

  /** A bare SASL token frame: answered with a bare token; a failure closes the connection. */
  async bareToken(conn: ConnectionInfo, frame: Buffer): Promise<DispatchOutcome> {
    const result = await this.authenticate(conn, frame);
    if (!result.ok) throw new CloseConnection(`SASL authentication failed: ${result.message}`);
    const out = Buffer.allocUnsafe(4 + result.challenge.length);
    out.writeInt32BE(result.challenge.length, 0);
    result.challenge.copy(out, 4);
    return { response: out };
  }

  /** Kafka's authorizeByResourceType: may the principal do `operation` on some resource of the type? */
  authorizeAny(conn: ConnectionInfo, operation: number, resourceType: number): boolean {
    if (!this.options.authorizer) return true;
    const s = this.session(conn);
    if (this.superUsers.has(s.principal)) return true;
    return this.acls.allowsAny(s.principal, s.host, operation, resourceType);
  }

  /** Kafka's authorizer decision for this connection's principal (always yes without an authorizer). */
  authorize(conn: ConnectionInfo, operation: number, resourceType: number, resourceName: string): boolean {
    const authz = this.options.authorizer;
    if (!authz) return true;
    const s = this.session(conn);
    if (this.superUsers.has(s.principal)) return true;
    if (authz.allowEveryoneIfNoAclFound && !this.acls.hasAclsFor(resourceType, resourceName)) return true;
    return this.acls.authorize({
      principal: s.principal,
      host: s.host,
      operation,
      resourceType,
      resourceName,
    });
  }
}
