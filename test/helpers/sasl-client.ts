import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { ErrorCode } from '../../src/protocol/errors.js';
import { WireClient } from './wire-client.js';

/**
 * The client side of SASL over our codec (SaslHandshake v1 + SaslAuthenticate), for broker tests that
 * need an authenticated connection speaking exact requests. Real clients are tested in test/compat.
 */

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
