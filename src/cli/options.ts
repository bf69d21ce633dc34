/**
 * The CLI's shared options and argument parsers: every command that takes a number, a broker list, a
 * service address, the lab token or a grace period gets it from here, so each is parsed and explained
 * the same way everywhere.
 */
import { InvalidArgumentError, Option } from 'commander';
import { TOKEN_ENV } from '../lab/http.js';

/** A whole-number flag in [min, max], with a message that says what was wrong. */
export function integer(label: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(
        `${label} must be a whole number from ${min} to ${max} (got "${value}")`,
      );
    }
    return Number(value);
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
