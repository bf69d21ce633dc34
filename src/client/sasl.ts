import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { ErrorCode } from '../protocol/errors.js';
import { KafkaClientError } from './errors.js';
import type { ClientSecurity } from './security.js';

/**
 * The client side of SASL PLAIN and SCRAM-SHA-256/512 (RFC 5802) over SaslHandshake v1 and
 * SaslAuthenticate. `exchange` sends one token and returns the broker's answer; failures become an
 * AuthenticationError that names the broker, the mechanism and the user, never the password. The same
 * exchange, run again on an authenticated connection, is KIP-368's re-authentication.
 */

export class AuthenticationError extends KafkaClientError {
  override name = 'AuthenticationError';
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

export interface SaslTransport {
  handshake(mechanism: string): Promise<{ errorCode: number; mechanisms: string[] }>;
  exchange(token: Buffer): Promise<{
    errorCode: number;
    errorMessage: string | null;
    authBytes: Buffer;
    /** SaslAuthenticate v1+: how long the session lasts before the client must re-authenticate (0 = forever). */
    sessionLifetimeMs?: bigint;
  }>;
}

/** What a successful authentication tells the client. */
export interface SaslSession {
  /** The broker's session lifetime in ms (connections.max.reauth.ms); 0 when sessions never expire. */
  lifetimeMs: number;
}

/**
 * When to re-authenticate a session of `lifetimeMs`: at a random point between 85% and 95% of it, as
 * Kafka's Java client does, so that many connections made together do not all renew at once and a busy
 * event loop still has a tenth of the lifetime in hand.
 */
export function reauthenticationDelayMs(lifetimeMs: number, random: number = Math.random()): number {
  return Math.floor(lifetimeMs * (0.85 + 0.1 * random));
}

const pbkdf2Async = promisify(pbkdf2);

export async function authenticateSasl(
  sasl: NonNullable<ClientSecurity['sasl']>,
  transport: SaslTransport,
  address: string,
): Promise<SaslSession> {
  const who = `SASL ${sasl.mechanism} authentication of user "${sasl.username}" to ${address}`;
  const hs = await transport.handshake(sasl.mechanism);
  if (hs.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM) {
    throw new AuthenticationError(
      `${who} failed: the broker offers only ${hs.mechanisms.join(', ')}; pick one with --sasl-mechanism`,
    );
  }
  if (hs.errorCode === ErrorCode.ILLEGAL_SASL_STATE) {
    throw new AuthenticationError(
      `${who} failed: that listener does not use SASL; check the security protocol and port`,
    );
  }
  if (hs.errorCode !== 0) throw new AuthenticationError(`${who} failed: SaslHandshake error ${hs.errorCode}`);
  // The broker gives the lifetime with its last answer.
  let lifetimeMs = 0;
  const step = async (token: Buffer): Promise<Buffer> => {
    const r = await transport.exchange(token);
    if (r.errorCode !== 0) {
      throw new AuthenticationError(
        `${who} failed: ${r.errorMessage ?? `error ${r.errorCode}`}; check the user name and password`,
      );
    }
    lifetimeMs = Number(r.sessionLifetimeMs ?? 0n);
    return r.authBytes;
  };
  if (sasl.mechanism === 'PLAIN') {
    await step(Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`, 'utf8'));
    return { lifetimeMs };
  }
  const hash = sasl.mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  const nonce = randomBytes(24).toString('base64');
  const user = sasl.username.replace(/=/g, '=3D').replace(/,/g, '=2C');
  const clientFirstBare = `n=${user},r=${nonce}`;
  const serverFirst = (await step(Buffer.from(`n,,${clientFirstBare}`, 'utf8'))).toString('utf8');
  const attrs = new Map(serverFirst.split(',').map((p) => [p[0], p.slice(2)] as const));
  const serverNonce = attrs.get('r') ?? '';
  const iterations = Number(attrs.get('i'));
  if (!serverNonce.startsWith(nonce) || !attrs.get('s') || !Number.isInteger(iterations) || iterations < 1) {
    throw new AuthenticationError(`${who} failed: the broker's SCRAM first message is malformed`);
  }
  const salted = await pbkdf2Async(
    sasl.password.normalize('NFKC'),
    Buffer.from(attrs.get('s')!, 'base64'),
    iterations,
    hash === 'sha256' ? 32 : 64,
    hash,
  );
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  const storedKey = createHash(hash).update(clientKey).digest();
  const withoutProof = `c=biws,r=${serverNonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = createHmac(hash, storedKey).update(authMessage).digest();
  const proof = Buffer.alloc(clientKey.length);
  for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i] ^ signature[i];
  const serverFinal = (
    await step(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8'))
  ).toString('utf8');
  const serverKey = createHmac(hash, salted).update('Server Key').digest();
  const expected = createHmac(hash, serverKey).update(authMessage).digest();
  const got = Buffer.from(serverFinal.startsWith('v=') ? serverFinal.slice(2) : '', 'base64');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
    throw new AuthenticationError(
      `${who}: the broker's SCRAM signature does not verify; it may not hold this user's credentials`,
    );
  }
  return { lifetimeMs };
}
