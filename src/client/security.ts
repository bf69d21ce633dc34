import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectOptions } from 'node:tls';

/**
 * How our client (and everything built on it: the consumer runtime, the monitor, `sluice lag`, the lab,
 * the load tools) reaches a secured cluster: TLS files and SASL credentials, from one place. Settings come
 * from a librdkafka-style properties file, the environment and flags, later ones winning. The password is
 * only ever read here and in the SASL exchange; {@link describeSecurity} is what may be logged.
 */

export type ClientSecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export type ClientSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
const PROTOCOLS: readonly ClientSecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS: readonly ClientSaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

export interface ClientSecurity {
  protocol: ClientSecurityProtocol;
  tls?: {
    /** PEM CA bundle to check the broker's certificate against (default: the system's). */
    caFile?: string;
    /** PEM client certificate and key, for brokers that ask for one. */
    certFile?: string;
    keyFile?: string;
    /** false only for test setups: the broker's certificate is then not checked. */
    verify?: boolean;
  };
  sasl?: { mechanism: ClientSaslMechanism; username: string; password: string };
}

export class ClientSecurityError extends Error {
  override name = 'ClientSecurityError';
}

/** The settings as they arrive (properties file keys, env, flags), before checking. */
export interface SecuritySettings {
  protocol?: string;
  mechanism?: string;
  username?: string;
  password?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  verify?: boolean;
}

/** The environment variables read by {@link securityFromEnv}. */
export const SECURITY_ENV = {
  protocol: 'SLUICE_SECURITY_PROTOCOL',
  mechanism: 'SLUICE_SASL_MECHANISM',
  username: 'SLUICE_SASL_USERNAME',
  password: 'SLUICE_SASL_PASSWORD',
  caFile: 'SLUICE_TLS_CA',
  certFile: 'SLUICE_TLS_CERT',
  keyFile: 'SLUICE_TLS_KEY',
  properties: 'SLUICE_CLIENT_PROPERTIES',
} as const;

/** Reads librdkafka's names (security.protocol, sasl.mechanism(s), sasl.username/password, ssl.*.location). */
export function securityFromProperties(text: string, source = 'properties'): SecuritySettings {
  const props = new Map<string, string>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const eq = line.search(/[=:]/);
    if (eq < 0) throw new ClientSecurityError(`${source} line ${i + 1}: expected key=value`);
    props.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const verify = props.get('enable.ssl.certificate.verification');
  return {
    protocol: props.get('security.protocol'),
    mechanism: props.get('sasl.mechanism') ?? props.get('sasl.mechanisms'),
    username: props.get('sasl.username'),
    password: props.get('sasl.password'),
    caFile: props.get('ssl.ca.location'),
    certFile: props.get('ssl.certificate.location'),
    keyFile: props.get('ssl.key.location'),
    verify: verify === undefined ? undefined : verify !== 'false',
  };
}

export function securityFromEnv(env: NodeJS.ProcessEnv = process.env): SecuritySettings {
  const fromFile = env[SECURITY_ENV.properties] ? readProperties(env[SECURITY_ENV.properties]!) : {};
  return merge(fromFile, {
    protocol: env[SECURITY_ENV.protocol],
    mechanism: env[SECURITY_ENV.mechanism],
    username: env[SECURITY_ENV.username],
    password: env[SECURITY_ENV.password],
    caFile: env[SECURITY_ENV.caFile],
    certFile: env[SECURITY_ENV.certFile],
    keyFile: env[SECURITY_ENV.keyFile],
  });
}

export function readProperties(path: string): SecuritySettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ClientSecurityError(
      `cannot read the client properties file ${path}: ${(err as Error).message}`,
    );
  }
  return securityFromProperties(text, path);
}

/** Later settings win, field by field. */
export function merge(...layers: SecuritySettings[]): SecuritySettings {
  const out: SecuritySettings = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/**
 * Checks the settings and says what is missing. No protocol given: SASL_SSL when credentials and a CA
 * are given, SASL_PLAINTEXT with credentials alone, SSL with TLS files alone, else PLAINTEXT.
 */
export function resolveClientSecurity(s: SecuritySettings): ClientSecurity {
  const tlsGiven = s.caFile !== undefined || s.certFile !== undefined || s.keyFile !== undefined;
  const saslGiven = s.username !== undefined || s.mechanism !== undefined;
  const protocol = (s.protocol?.toUpperCase() ??
    (saslGiven
      ? tlsGiven
        ? 'SASL_SSL'
        : 'SASL_PLAINTEXT'
      : tlsGiven
        ? 'SSL'
        : 'PLAINTEXT')) as ClientSecurityProtocol;
  if (!PROTOCOLS.includes(protocol)) {
    throw new ClientSecurityError(`security protocol "${s.protocol}" is not one of ${PROTOCOLS.join(', ')}`);
  }
  const out: ClientSecurity = { protocol };
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    if ((s.certFile === undefined) !== (s.keyFile === undefined)) {
      throw new ClientSecurityError(
        'a TLS client certificate needs its key: give both --tls-cert and --tls-key',
      );
    }
    out.tls = { caFile: s.caFile, certFile: s.certFile, keyFile: s.keyFile, verify: s.verify ?? true };
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = (s.mechanism?.toUpperCase() ?? 'PLAIN') as ClientSaslMechanism;
    if (!MECHANISMS.includes(mechanism)) {
      throw new ClientSecurityError(`SASL mechanism "${s.mechanism}" is not one of ${MECHANISMS.join(', ')}`);
    }
    if (!s.username || s.password === undefined) {
      throw new ClientSecurityError(
        `${protocol} needs a SASL user name and password: --sasl-username and ${SECURITY_ENV.password} (or sasl.username/sasl.password in a properties file)`,
      );
    }
    out.sasl = { mechanism, username: s.username, password: s.password };
  }
  return out;
}

/** What may be logged or shown: everything but the password. */
export function describeSecurity(s: ClientSecurity | undefined): string {
  if (!s || s.protocol === 'PLAINTEXT') return 'PLAINTEXT';
  const parts: string[] = [s.protocol];
  if (s.sasl) parts.push(`${s.sasl.mechanism} as ${s.sasl.username}`);
  if (s.tls?.caFile) parts.push(`CA ${s.tls.caFile}`);
  if (s.tls?.certFile) parts.push(`client certificate ${s.tls.certFile}`);
  if (s.tls?.verify === false) parts.push('certificate NOT verified');
  return parts.join(', ');
}

/** node:tls options for a connection to `host`. */
export function tlsConnectOptions(s: ClientSecurity, host: string, port: number): TlsConnectOptions {
  const read = (what: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ClientSecurityError(`cannot read the TLS ${what} ${path}: ${(err as Error).message}`);
    }
  };
  return {
    host,
    port,
    servername: /^[\d.]+$|:/.test(host) ? undefined : host,
    ca: read('CA bundle', s.tls?.caFile),
    cert: read('client certificate', s.tls?.certFile),
    key: read('client key', s.tls?.keyFile),
    rejectUnauthorized: s.tls?.verify !== false,
  };
}
