import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * Salted credentials as RFC 5802 (SCRAM) defines them, which is also what Kafka stores: the broker keeps
 * the salt, the iteration count, StoredKey and ServerKey, never the password. PLAIN is checked against
 * the same record (derive StoredKey from the offered password and compare).
 */

export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];

/** Kafka's default (and minimum) iteration count for SCRAM credentials. */
export const DEFAULT_ITERATIONS = 4096;

export interface ScramCredential {
  salt: string; // base64
  iterations: number;
  storedKey: string; // base64
  serverKey: string; // base64
}

const pbkdf2Async = promisify(pbkdf2);

function hashOf(mechanism: ScramMechanism): { name: 'sha256' | 'sha512'; bytes: number } {
  return mechanism === 'SCRAM-SHA-256' ? { name: 'sha256', bytes: 32 } : { name: 'sha512', bytes: 64 };
}

function hmac(hash: string, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(hash, key).update(data).digest();
}

async function saltedKeys(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number) {
  const { name, bytes } = hashOf(mechanism);
  const salted = await pbkdf2Async(password.normalize('NFKC'), salt, iterations, bytes, name);
  const clientKey = hmac(name, salted, 'Client Key');
  return {
    storedKey: createHash(name).update(clientKey).digest(),
    serverKey: hmac(name, salted, 'Server Key'),
  };
}

export async function makeCredential(
  mechanism: ScramMechanism,
  password: string,
  iterations = DEFAULT_ITERATIONS,
): Promise<ScramCredential> {
  const salt = randomBytes(32);
  const { storedKey, serverKey } = await saltedKeys(mechanism, password, salt, iterations);
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: storedKey.toString('base64'),
    serverKey: serverKey.toString('base64'),
  };
}

/** True if `password` derives the credential's StoredKey (constant-time comparison). */
export async function passwordMatches(
  mechanism: ScramMechanism,
  credential: ScramCredential,
  password: string,
): Promise<boolean> {
  const { storedKey } = await saltedKeys(
    mechanism,
    password,
    Buffer.from(credential.salt, 'base64'),
    credential.iterations,
  );
  return timingSafeEqual(storedKey, Buffer.from(credential.storedKey, 'base64'));
}

export class SaslAuthenticationFailure extends Error {
  override name = 'SaslAuthenticationFailure';
}

/** A SASL mechanism's server side: one token in, one token out, until it names the user. */
export interface SaslExchange {
  evaluate(token: Buffer): Promise<{ challenge: Buffer; user?: string }>;
}

/** Looks up a user's credential for a mechanism (undefined = no such user). */
export type CredentialLookup = (user: string, mechanism: ScramMechanism) => ScramCredential | undefined;

/** Decodes a SCRAM `saslname` (RFC 5802: `=2C` is a comma, `=3D` an equals sign). */
function saslName(s: string): string {
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1)
      throw new SaslAuthenticationFailure(`malformed SCRAM message attribute "${part.slice(0, 20)}"`);
    out.set(part[0], part.slice(2));
  }
  return out;
}

/** The server side of SCRAM-SHA-256/512 (RFC 5802, RFC 7677), two rounds. */
export class ScramServer implements SaslExchange {
  private step: 'first' | 'final' | 'done' = 'first';
  private user = '';
  private credential: ScramCredential | undefined;
  private nonce = '';
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly lookup: CredentialLookup,
  ) {}

  async evaluate(token: Buffer): Promise<{ challenge: Buffer; user?: string }> {
    if (this.step === 'first') return { challenge: this.first(token.toString('utf8')) };
    if (this.step === 'final') return this.final(token.toString('utf8'));
    throw new SaslAuthenticationFailure('SCRAM exchange already complete');
  }

  private first(message: string): Buffer {
    // gs2-header: "n,," or "y,," optionally with "a=authzid"; channel binding ("p=") is not offered.
    const m = /^([ny]),(a=[^,]*)?,(.*)$/.exec(message);
    if (!m) throw new SaslAuthenticationFailure('malformed SCRAM client-first message');
    this.gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.clientFirstBare = m[3];
    const attrs = attributes(this.clientFirstBare);
    const user = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (!user || !clientNonce) throw new SaslAuthenticationFailure('SCRAM client-first lacks n= or r=');
    this.user = saslName(user);
    const authzid = m[2] ? saslName(m[2].slice(2)) : '';
    if (authzid !== '' && authzid !== this.user) {
      throw new SaslAuthenticationFailure('SCRAM authorization id differs from the user name');
    }
    this.credential = this.lookup(this.user, this.mechanism);
    if (!this.credential) {
      throw new SaslAuthenticationFailure(
        `Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`,
      );
    }
    this.nonce = clientNonce + randomBytes(18).toString('base64url');
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt},i=${this.credential.iterations}`;
    this.step = 'final';
    return Buffer.from(this.serverFirst, 'utf8');
  }

  private async final(message: string): Promise<{ challenge: Buffer; user: string }> {
    this.step = 'done';
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslAuthenticationFailure('SCRAM client-final lacks the proof (p=)');
    const withoutProof = message.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    // Kafka checks only that the nonce ends with the server's: librdkafka sends the client nonce twice.
    if (!attrs.get('r')?.endsWith(this.nonce))
      throw new SaslAuthenticationFailure('Invalid client nonce in the final client message.');
    if (attrs.get('c') !== Buffer.from(this.gs2Header, 'utf8').toString('base64')) {
      throw new SaslAuthenticationFailure('SCRAM channel binding mismatch');
    }
    const credential = this.credential!;
    const { name } = hashOf(this.mechanism);
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const storedKey = Buffer.from(credential.storedKey, 'base64');
    const proof = Buffer.from(message.slice(proofAt + 3), 'base64');
    const signature = hmac(name, storedKey, authMessage);
    if (proof.length !== signature.length) throw this.invalid();
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ signature[i];
    if (!timingSafeEqual(createHash(name).update(clientKey).digest(), storedKey)) throw this.invalid();
    const serverSignature = hmac(name, Buffer.from(credential.serverKey, 'base64'), authMessage);
    return { challenge: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), user: this.user };
  }

  private invalid(): SaslAuthenticationFailure {
    return new SaslAuthenticationFailure(
      `Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`,
    );
  }
}

/** PLAIN (RFC 4616): `authzid NUL user NUL password`, checked against the SCRAM-SHA-256 credential. */
export class PlainServer implements SaslExchange {
  constructor(private readonly lookup: CredentialLookup) {}

  async evaluate(token: Buffer): Promise<{ challenge: Buffer; user: string }> {
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) {
      throw new SaslAuthenticationFailure('Invalid SASL/PLAIN response: expected 3 tokens');
    }
    const [authzid, user, password] = parts;
    if (user === '' || password === '') {
      throw new SaslAuthenticationFailure('Authentication failed: username or password not specified');
    }
    if (authzid !== '' && authzid !== user) {
      throw new SaslAuthenticationFailure(
        'Authentication failed: Client requested an authorization id that is different from username',
      );
    }
    const credential = this.lookup(user, 'SCRAM-SHA-256');
    if (!credential || !(await passwordMatches('SCRAM-SHA-256', credential, password))) {
      throw new SaslAuthenticationFailure('Authentication failed: Invalid username or password');
    }
    return { challenge: Buffer.alloc(0), user };
  }
}
