/**
 * The CLI's shared options and argument parsers: every command that takes a number, a broker list, a
 * service address, the lab token or a grace period gets it from here, so each is parsed and explained
 * the same way everywhere.
 */

import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type ClientSecurity,
  ClientSecurityError,
  merge,
  readProperties,
  resolveClientSecurity,
  SECURITY_ENV,
} from '../client/security.js';
import { describeRule, meetsRule, parseWholeNumber } from '../flow/validate.js';
import { TOKEN_ENV } from '../lab/http.js';

/** A whole-number flag in [min, max], with a message that says what was wrong. */
export function integer(label: string, min = 0, max = Number.POSITIVE_INFINITY) {
  const rule = { integer: true, min, max };
  return (value: string): number => {
    const n = parseWholeNumber(value);
    if (!meetsRule(n, rule))
      throw new InvalidArgumentError(`${label} ${describeRule(rule)} (got "${value}")`);
    return n;
  };
}

/** A number flag above 0 (a duration, a rate). */
export function positiveNumber(label: string) {
  const rule = { positive: true };
  return (value: string): number => {
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (!meetsRule(n, rule))
      throw new InvalidArgumentError(`${label} ${describeRule(rule)} (got "${value}")`);
    return n;
  };
}

/** A share from 0 to 1 (`--trace-sample`, `--failure-rate`); the message shows `example`. */
export function ratio(label: string, example: string) {
  const rule = { min: 0, max: 1 };
  return (value: string): number => {
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (!meetsRule(n, rule))
      throw new InvalidArgumentError(`${label} ${describeRule(rule)}, e.g. ${example} (got "${value}")`);
    return n;
  };
}

/** `--brokers host:port[,host:port]`. */
export function brokerList(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const b of list) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b))
      throw new InvalidArgumentError(`--brokers wants host:port[,host:port] (got "${b}")`);
  }
  if (list.length === 0) throw new InvalidArgumentError('--brokers wants at least one host:port');
  return list;
}

/**
 * A lab service's address: a URL, or host:port (http assumed), so `--url 127.0.0.1:38000` works as
 * `--url http://127.0.0.1:38000` does.
 */
export function serviceUrl(flag: string) {
  return (value: string): string => {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new InvalidArgumentError(`${flag} wants http://host:port or host:port (got "${value}")`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new InvalidArgumentError(`${flag} wants an http:// or https:// address (got "${value}")`);
    return withScheme.replace(/\/+$/, '');
  };
}

/** The lab services' bearer token (`--token`, or the environment). */
export function tokenOption(): Option {
  return new Option(
    '--token <secret>',
    'bearer token required on mutating requests (needed for a non-loopback --host)',
  ).env(TOKEN_ENV);
}

/** The flags of {@link addServiceOptions}, with the grace period and security every service takes. */
export interface ServiceFlags extends ClientSecurityFlags {
  port: number;
  host: string;
  token?: string;
  brokers: string[];
  gracePeriod: number;
}

/** A lab service's first options: its HTTP port and address, the bearer token and the brokers. */
export function addServiceOptions(command: Command, defaultPort: number, portHelp = 'HTTP port'): Command {
  return command
    .option('--port <n>', portHelp, integer('--port', 0, 65535), defaultPort)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .addOption(tokenOption())
    .option('--brokers <list>', 'Kafka bootstrap servers', brokerList, ['127.0.0.1:9092']);
}

/** Where a service's HTTP server listens and the token it asks for, from {@link ServiceFlags}. */
export function serviceHttp(flags: ServiceFlags): { host: string; port: number; token?: string } {
  return { host: flags.host, port: flags.port, token: flags.token };
}

/**
 * Below the 30 s after which Kubernetes and systemd follow SIGTERM with SIGKILL, so a command that
 * gives up still gets to say so, and what it left undone, before it is killed.
 */
export const DEFAULT_GRACE_PERIOD_S = 20;

export function gracePeriodOption(): Option {
  return new Option(
    '--grace-period <s>',
    'seconds to stop within after SIGTERM/SIGINT: drain, final commit, leave, close; then exit anyway',
  )
    .argParser(integer('--grace-period', 1, 3600))
    .default(DEFAULT_GRACE_PERIOD_S);
}

/** The TLS and SASL flags of {@link clientSecurityOptions}, added last so they close the help. */
export function addClientSecurityOptions(command: Command): Command {
  for (const o of clientSecurityOptions()) command.addOption(o);
  return command;
}

/** The flags of {@link clientSecurityOptions}, as commander hands them over. */
export interface ClientSecurityFlags {
  securityProtocol?: string;
  saslMechanism?: string;
  saslUsername?: string;
  saslPassword?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  clientProperties?: string;
}

/**
 * TLS and SASL flags for commands that connect to brokers (librdkafka's names in the help). The password
 * is best given as SLUICE_SASL_PASSWORD or in the properties file, which stay out of `ps` and the history.
 */
export function clientSecurityOptions(): Option[] {
  return [
    new Option(
      '--security-protocol <p>',
      'PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (security.protocol)',
    ).env(SECURITY_ENV.protocol),
    new Option('--sasl-mechanism <m>', 'PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (sasl.mechanism)').env(
      SECURITY_ENV.mechanism,
    ),
    new Option('--sasl-username <user>', 'SASL user (sasl.username)').env(SECURITY_ENV.username),
    new Option('--sasl-password <password>', `SASL password; prefer ${SECURITY_ENV.password}`).env(
      SECURITY_ENV.password,
    ),
    new Option('--tls-ca <file>', "PEM CA bundle for the brokers' certificates (ssl.ca.location)").env(
      SECURITY_ENV.caFile,
    ),
    new Option('--tls-cert <file>', 'PEM client certificate (ssl.certificate.location)').env(
      SECURITY_ENV.certFile,
    ),
    new Option('--tls-key <file>', 'PEM client key (ssl.key.location)').env(SECURITY_ENV.keyFile),
    new Option('--client-properties <file>', 'librdkafka-style properties file with the settings above').env(
      SECURITY_ENV.properties,
    ),
  ];
}

/** The security settings of a command: properties file first, then flags and environment. */
export function clientSecurity(flags: ClientSecurityFlags): ClientSecurity | undefined {
  try {
    const s = resolveClientSecurity(
      merge(flags.clientProperties ? readProperties(flags.clientProperties) : {}, {
        protocol: flags.securityProtocol,
        mechanism: flags.saslMechanism,
        username: flags.saslUsername,
        password: flags.saslPassword,
        caFile: flags.tlsCa,
        certFile: flags.tlsCert,
        keyFile: flags.tlsKey,
      }),
    );
    return s.protocol === 'PLAINTEXT' ? undefined : s;
  } catch (err) {
    if (err instanceof ClientSecurityError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

/** `--processing-time-ms`: how long a lab consumer spends per order (500 = 2 msg/s). */
export function processingTimeOption(description: string): Option {
  return new Option('--processing-time-ms <n>', description)
    .argParser(integer('--processing-time-ms', 0, 600_000))
    .default(500);
}

/** `--sink`: where a lab consumer's orders go. */
export function sinkOption(): Option {
  return new Option('--sink <kind>', 'where consumed orders go')
    .choices(['simulated', 'stdout'])
    .default('simulated');
}

/** The tracing flags of the lab and its services: `--otlp-endpoint` turns OpenTelemetry export on. */
export interface TracingFlags {
  otlpEndpoint?: string;
  traceSample: number;
}

export function otlpEndpointOption(): Option {
  return new Option(
    '--otlp-endpoint <url>',
    'trace every order with OpenTelemetry and export over OTLP/HTTP to this collector (e.g. http://127.0.0.1:4318; Jaeger takes it)',
  ).argParser((value: string) => {
    let url: URL | null = null;
    try {
      url = new URL(value);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new InvalidArgumentError(
        `--otlp-endpoint wants an OTLP/HTTP collector URL such as http://127.0.0.1:4318 (got "${value}")`,
      );
    }
    return value;
  });
}

export function traceSampleOption(): Option {
  return new Option('--trace-sample <ratio>', 'share of new traces kept, 0..1 (when tracing)')
    .argParser(ratio('--trace-sample', '0.01 for one trace in a hundred'))
    .default(1);
}

/** The services' tracing options from the flags: none without an endpoint to export to. */
export function tracingFrom(
  flags: TracingFlags,
  otlpEndpoint = flags.otlpEndpoint,
): { otlpEndpoint: string; sampleRatio: number } | undefined {
  if (!otlpEndpoint) return undefined;
  return { otlpEndpoint, sampleRatio: flags.traceSample };
}
