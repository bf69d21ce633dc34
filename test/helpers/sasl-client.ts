import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pino from 'pino';
import type { SecurityOptions } from '../../src/broker/auth/security.js';
import { Broker } from '../../src/broker/broker.js';
import { BrokerConnection } from '../../src/client/broker-connection.js';
import { resolveClientSecurity } from '../../src/client/security.js';
import { realClock } from '../../src/flow/clock.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { WireClient } from './wire-client.js';

/**
 * SASL for broker and client tests: an embedded broker with one SASL_PLAINTEXT listener whose log lines
 * the test can read, the client side of SASL over our codec (SaslHandshake v1 + SaslAuthenticate) for
 * tests that speak exact requests, and our client's connection authenticated as a user. Third-party
 * clients are tested in test/compat.
 */

export interface SaslBroker {
  broker: Broker;
  /** The SASL_PLAINTEXT listener's port. */
  port: number;
  /** The broker's pino lines (JSON), in order. */
  logs: string[];
}

/**
 * Starts an in-memory broker listening on SASL_PLAINTEXT (127.0.0.1, a free port) with `security` (its
 * users, mechanisms, lifetimes); failed authentications are delayed 10 ms unless `security` says
 * otherwise. Stop it with `broker.stop()`.
 */
export async function startSaslBroker(security: SecurityOptions): Promise<SaslBroker> {
  const logs: string[] = [];
  const broker = new Broker(
    {
      durability: 'memory',
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      security: { failedAuthDelayMs: 10, ...security },
    },
    { logger: pino({ level: 'info' }, { write: (line: string) => logs.push(line) }) },
  );
  await broker.start();
  return { broker, port: broker.listenerAddress('SASL_PLAINTEXT').port, logs };
}

/** Our client's connection to the SASL_PLAINTEXT listener on `port`, authenticating as `user`. */
export function saslConnection(
  port: number,
  login: { mechanism: Mechanism; user: string; password: string },
  options: { clientId?: string; maxInFlight?: number } = {},
): BrokerConnection {
  return new BrokerConnection({
    nodeId: -1,
    clientId: options.clientId ?? 'sasl-test',
    host: '127.0.0.1',
    port,
    clock: realClock,
    maxInFlight: options.maxInFlight,
    security: resolveClientSecurity({
      protocol: 'SASL_PLAINTEXT',
      mechanism: login.mechanism,
      username: login.user,
      password: login.password,
    }),
  });
}

export type Mechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export class SaslFailed extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Authenticates `client`; resolves with the session lifetime the broker gave (0 = none). */
export async function authenticate(
  client: WireClient,
  mechanism: Mechanism,
  user: string,
  password: string,
  authenticateVersion = 1,
): Promise<bigint> {
  const hs = await client.request(17, 1, { mechanism });
  if (hs.errorCode !== 0) throw new SaslFailed(hs.errorCode, `handshake refused (${hs.errorCode})`);
  const step = async (token: Buffer) => {
    const r = await client.request(36, authenticateVersion, { authBytes: token });
    if (r.errorCode !== ErrorCode.NONE) throw new SaslFailed(r.errorCode, r.errorMessage ?? '');
    return r;
  };
  if (mechanism === 'PLAIN') {
    const r = await step(Buffer.from(`\u0000${user}\u0000${password}`));
    return r.sessionLifetimeMs ?? 0n;
  }
  const hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  const bytes = hash === 'sha256' ? 32 : 64;
  const nonce = randomBytes(16).toString('base64');
  const clientFirstBare = `n=${user},r=${nonce}`;
  const first = await step(Buffer.from(`n,,${clientFirstBare}`));
  const serverFirst = first.authBytes.toString();
  const attrs = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.s, 'base64'), Number(attrs.i), bytes, hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  const storedKey = createHash(hash).update(clientKey).digest();
  const withoutProof = `c=biws,r=${attrs.r}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = createHmac(hash, storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
  const final = await step(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`));
  const serverKey = createHmac(hash, salted).update('Server Key').digest();
  const expected = createHmac(hash, serverKey).update(authMessage).digest('base64');
  if (final.authBytes.toString() !== `v=${expected}`) throw new Error('server signature does not verify');
  return final.sessionLifetimeMs ?? 0n;
}

/** Opens a connection and authenticates it. */
export async function openAuthenticated(
  port: number,
  mechanism: Mechanism,
  user: string,
  password: string,
): Promise<WireClient> {
  const client = await WireClient.open(port);
  await authenticate(client, mechanism, user, password);
  return client;
}
