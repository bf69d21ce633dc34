/**
 * Listeners in Kafka's vocabulary: `PROTOCOL://host:port`, several at once, each with its own advertised
 * address (`listeners` / `advertised.listeners`). The listener's name is its security protocol, as in a
 * Kafka config without `listener.security.protocol.map`.
 */

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

export interface ListenerSpec {
  protocol: SecurityProtocol;
  host: string;
  /** 0 = any free port. */
  port: number;
  /** What Metadata and FindCoordinator tell clients connected to this listener. */
  advertisedHost: string;
  /** undefined = the bound port. */
  advertisedPort: number | undefined;
}

export class ListenerConfigError extends Error {
  override name = 'ListenerConfigError';
}

export function usesTls(protocol: SecurityProtocol): boolean {
  return protocol === 'SSL' || protocol === 'SASL_SSL';
}

export function usesSasl(protocol: SecurityProtocol): boolean {
  return protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
}

interface Endpoint {
  protocol: SecurityProtocol;
  host: string;
  port: number;
}

/** Parses `PLAINTEXT://127.0.0.1:9092,SASL_SSL://[::]:9093` (an empty host means every interface). */
export function parseEndpoints(spec: string, what: string): Endpoint[] {
  const out: Endpoint[] = [];
  for (const raw of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Z_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(raw);
    if (!m) {
      throw new ListenerConfigError(
        `${what}: cannot read "${raw}"; write PROTOCOL://host:port, e.g. SASL_SSL://0.0.0.0:9093`,
      );
    }
    const protocol = m[1] as SecurityProtocol;
    if (!SECURITY_PROTOCOLS.includes(protocol)) {
      throw new ListenerConfigError(
        `${what}: unknown security protocol ${m[1]} in "${raw}"; use one of ${SECURITY_PROTOCOLS.join(', ')}`,
      );
    }
    const port = Number(m[3]);
    if (port > 65535) throw new ListenerConfigError(`${what}: port ${port} in "${raw}" is above 65535`);
    const host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
    if (out.some((e) => e.protocol === protocol)) {
      throw new ListenerConfigError(`${what}: ${protocol} appears twice; one listener per protocol`);
    }
    out.push({ protocol, host: host === '' ? '0.0.0.0' : host, port });
  }
  if (out.length === 0) throw new ListenerConfigError(`${what} is empty; e.g. PLAINTEXT://127.0.0.1:9092`);
  return out;
}

/**
 * The listeners with their advertised addresses: an advertised listener of the same protocol wins,
 * otherwise the bound host (127.0.0.1 for a wildcard) and the bound port.
 */
export function resolveListeners(listeners: string, advertised?: string): ListenerSpec[] {
  const bound = parseEndpoints(listeners, 'listeners');
  const adv = advertised ? parseEndpoints(advertised, 'advertised listeners') : [];
  for (const a of adv) {
    if (!bound.some((b) => b.protocol === a.protocol)) {
      throw new ListenerConfigError(
        `advertised listener ${a.protocol} has no listener of that protocol; add ${a.protocol}://host:port to the listeners`,
      );
    }
  }
  return bound.map((b) => {
    const a = adv.find((x) => x.protocol === b.protocol);
    return {
      ...b,
      advertisedHost: a?.host ?? (isWildcard(b.host) ? '127.0.0.1' : b.host),
      advertisedPort: a?.port,
    };
  });
}

export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
