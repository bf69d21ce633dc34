import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'sluice.js');

export function requireBuild(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does it before vitest)');
  }
}

/**
 * `sluice lab` flags that put every service on a port the system picks when it binds (no guess that
 * another process can take first); read the ports with {@link labUrls}. The embedded broker's is
 * `--broker-port 0`, given where the lab runs one.
 */
export const ANY_FREE_PORTS = ['--producer-port', '0', '--consumer-port', '0', '--monitor-port', '0'];

/** Lab ports for Lab.start that the system picks at bind time; read them from `lab.urls`. */
export const ANY_FREE_LAB_PORTS = { broker: 0, producer: 0, consumer: 0, monitor: 0 } as const;

export interface LabUrls {
  broker: string;
  producer: string;
  consumers: string[];
  monitor: string;
}

/** Waits for this line of the banner: the last address it prints, so the others are there too. */
export const LAB_READY = /^ {2}lag monitor +http:\/\/\S+/m;

/** The addresses a started `sluice lab` printed in its banner: the ports it bound, 0 included. */
export function labUrls(output: string): LabUrls {
  const one = (label: string): string => {
    const m = new RegExp(`^ {2}${label} +(\\S+)`, 'm').exec(output);
    if (!m) throw new Error(`no "${label}" address in the lab's banner:\n${output}`);
    return m[1];
  };
  const consumers = [...output.matchAll(/^ {2}consumer-\d+ +(\S+)/gm)].map((m) => m[1]);
  return { broker: one('broker'), producer: one('producer'), consumers, monitor: one('lag monitor') };
}

/**
 * For tests of `--base-port` itself, which needs a fixed port: starts on a random base (producer B,
 * consumers B+1.., monitor B+10) and, when one of those ports turns out taken, tries another base.
 * Nothing is checked and used later, so another process taking a port in between costs a retry, not a
 * failed test.
 */
export async function startOnSomeBasePort<T>(
  start: (base: number) => Promise<T>,
): Promise<{ base: number; started: T }> {
  let last: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    try {
      return { base, started: await start(base) };
    } catch (err) {
      if (!/already listens|EADDRINUSE/.test(String((err as Error).message))) throw err;
      last = err;
    }
  }
  throw new Error(`20 base ports were all taken; last: ${(last as Error).message}`);
}

export interface LabProcess {
  proc: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** Spawns `node bin/sluice.js <args>` and resolves once its stdout contains `ready`. */
export async function spawnSluice(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; ready?: RegExp; timeoutMs?: number; bin?: string } = {},
): Promise<LabProcess> {
  const proc = spawn(process.execPath, [options.bin ?? BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const ready = options.ready ?? /ready/;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!ready.test(out)) {
    if (proc.exitCode !== null)
      throw new Error(`sluice ${args.join(' ')} exited (${proc.exitCode}):\n${out}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`sluice ${args.join(' ')} not ready in time:\n${out}`);
    }
    await sleep(50);
  }
  return {
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Response bodies are whatever JSON the service sent; the tests' assertions are what check them. */
// biome-ignore lint/suspicious/noExplicitAny: JSON from the services under test
type Json = any;

export interface Reply<T = Json> {
  status: number;
  headers: Headers;
  body: T;
}

export async function http<T = Json>(
  method: string,
  url: string,
  options: { json?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.raw !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = options.raw;
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export const get = <T = Json>(url: string) => http<T>('GET', url);
export const post = <T = Json>(url: string, json?: unknown) =>
  http<T>('POST', url, json === undefined ? {} : { json });

/** Polls until `check` returns a value that is not undefined. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await sleep(100);
  }
}
