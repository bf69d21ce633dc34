import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'sluice.js');

export function requireBuild(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does it before vitest)');
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port }, () => s.close(() => resolve(true)));
  });
}

/** A base port B with B..B+3 and B+10 free (producer, three consumers, monitor), as `--base-port` lays them out. */
export async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const wanted = [base, base + 1, base + 2, base + 3, base + 10];
    let ok = true;
    for (const p of wanted) if (!(await portFree(p))) ok = false;
    if (ok) return base;
  }
  throw new Error('no free port range found');
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
