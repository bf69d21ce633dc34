import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A real Jaeger (the all-in-one `jaeger` binary: OTLP/HTTP receiver, in-memory storage, query API and UI)
 * started beside the lab or a test, on loopback ports of its own choosing. Sluice does not ship Jaeger:
 * `scripts/tracing/jaeger.sh` builds the pinned release into ~/.cache/sluice, where this finds it.
 */

export const JAEGER_ENV = 'SLUICE_JAEGER';

export interface RunningJaeger {
  /** The UI, and the query API under /api (e.g. /api/traces?service=sluice-consumer). */
  readonly uiUrl: string;
  /** Where OTLP/HTTP goes (`--otlp-endpoint`). */
  readonly otlpEndpoint: string;
  /** The last lines Jaeger printed (for error messages). */
  logTail(): string;
  stop(): Promise<void>;
}

export class JaegerNotFoundError extends Error {
  override readonly name = 'JaegerNotFoundError';
  constructor() {
    super(
      `no Jaeger binary found: set ${JAEGER_ENV}=/path/to/jaeger, put "jaeger" on PATH, or build the pinned ` +
        'release with `bash scripts/tracing/jaeger.sh` (from a Sluice checkout; it needs Go)',
    );
  }
}

/** The Jaeger binary: $SLUICE_JAEGER, else the newest build in the cache, else `jaeger` on PATH; null if none. */
export function findJaeger(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env[JAEGER_ENV]) return env[JAEGER_ENV];
  const cache = join(env.SLUICE_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sluice'));
  if (existsSync(cache)) {
    const builds = readdirSync(cache)
      .filter((d) => d.startsWith('jaeger-') && existsSync(join(cache, d, 'jaeger')))
      .map((d) => join(cache, d, 'jaeger'))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    if (builds[0]) return builds[0];
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'jaeger'))) return join(dir, 'jaeger');
  }
  return null;
}

/** Jaeger's all-in-one pipeline, on the given loopback ports only (no agent, Zipkin or metrics ports). */
function config(ports: { otlp: number; query: number; queryGrpc: number; health: number }): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${ports.query}
    grpc:
      endpoint: 127.0.0.1:${ports.queryGrpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:${ports.health}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${ports.otlp}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

/**
 * Starts Jaeger and resolves once its query API answers. `uiPort`/`otlpPort` default to any free port
 * (the seed lab's are 16686 and 4318).
 */
export async function startJaeger(
  options: { binary?: string; uiPort?: number; otlpPort?: number; readyTimeoutMs?: number } = {},
): Promise<RunningJaeger> {
  const binary = options.binary ?? findJaeger();
  if (!binary) throw new JaegerNotFoundError();
  const ports = {
    otlp: options.otlpPort ?? (await freePort()),
    query: options.uiPort ?? (await freePort()),
    queryGrpc: await freePort(),
    health: await freePort(),
  };
  const dir = mkdtempSync(join(tmpdir(), 'sluice-jaeger-'));
  const file = join(dir, 'jaeger.yaml');
  writeFileSync(file, config(ports));
  const child = spawn(binary, ['--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 50) lines.splice(0, lines.length - 50);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const jaeger: RunningJaeger = {
    uiUrl: `http://127.0.0.1:${ports.query}`,
    otlpEndpoint: `http://127.0.0.1:${ports.otlp}`,
    logTail: () => lines.join('\n'),
    stop: () => stop(child, exited, dir),
  };
  try {
    await untilReady(jaeger, exited, options.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await jaeger.stop();
    throw err;
  }
  return jaeger;
}

async function untilReady(
  jaeger: RunningJaeger,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<void> {
  let gone: number | null | undefined;
  void exited.then((code) => {
    gone = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone !== undefined) {
      throw new Error(`Jaeger exited (code ${gone}) before it was ready:\n${jaeger.logTail()}`);
    }
    try {
      const res = await fetch(`${jaeger.uiUrl}/api/services`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Jaeger's query API did not answer within ${timeoutMs} ms:\n${jaeger.logTail()}`);
}

async function stop(child: ChildProcess, exited: Promise<number | null>, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
