/**
 * Private servers for the broker benchmark: the Sluice broker (compiled CLI), Redis and NATS JetStream,
 * each on a free loopback port with its data in a temp dir, plus small process helpers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startKafka } from '../../test/helpers/kafka.js';

export interface Server {
  name: string;
  port: number;
  pid: number;
  dir: string;
  /** What the server printed so far. */
  output(): string;
  stop(): Promise<void>;
  /** SIGKILL, leaving the data dir for a restart. */
  kill9(): Promise<void>;
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();

/** Last resort on exit or Ctrl-C: kill what we started, delete what we created. */
export function cleanupAll(): void {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

export function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.add(d);
  return d;
}

export function removeDir(d: string): void {
  fs.rmSync(d, { recursive: true, force: true });
  dirs.delete(d);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Spawns a server and waits until its output matches `ready` (or it dies / times out). */
export function spawnServer(
  name: string,
  cmd: string,
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; match: RegExpExecArray; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    live.add(child);
    child.on('exit', () => live.delete(child));
    let out = '';
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within 20 s:\n${out}`));
    }, 20_000);
    const onData = (d: Buffer) => {
      if (out.length < 64 * 1024) out += d.toString('utf8');
      if (done) return;
      const m = ready.exec(out);
      if (m) {
        done = true;
        clearTimeout(timer);
        resolve({ child, match: m, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (e) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
}

function server(
  name: string,
  started: { child: ChildProcess; output: () => string },
  port: number,
  dir: string,
): Server {
  const { child } = started;
  return {
    name,
    port,
    pid: child.pid!,
    dir,
    output: started.output,
    async kill9() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(t);
      removeDir(dir);
    },
  };
}

const SLUICE_BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');

/**
 * Extra node flags for the broker process, e.g. BENCH_BROKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"
 * to profile it (node refuses --cpu-prof in NODE_OPTIONS).
 */
function brokerNodeArgs(): string[] {
  return (process.env.BENCH_BROKER_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
}

/** `node bin/sluice.js broker` (the compiled CLI: what users run, without tsx in its memory). */
export async function startSluice(
  durability: 'async' | 'sync',
  dir = tempDir('sluice-bench-'),
): Promise<Server> {
  const started = await spawnServer(
    'sluice broker',
    process.execPath,
    [...brokerNodeArgs(), SLUICE_BIN, 'broker', '--port', '0', '--data-dir', dir, '--durability', durability],
    /listening on [\d.]+:(\d+)/,
    { ...process.env, SLUICE_LOG_LEVEL: 'warn' },
  );
  return server(`sluice (${durability})`, started, Number(started.match[1]), dir);
}

/**
 * Apache Kafka, one KRaft node from the test rig (test/helpers/kafka.ts), with Kafka's own default heap
 * (kafka-server-start.sh's -Xmx1G -Xms1G) and `config` on top of the rig's properties.
 */
export async function startKafkaServer(label: string, config: Record<string, string> = {}): Promise<Server> {
  const cluster = await startKafka({ brokers: 1, config, heap: '-Xmx1G -Xms1G' });
  const node = cluster.nodes[0];
  const child = node.process!;
  live.add(child);
  return {
    name: `kafka (${label})`,
    port: node.port,
    pid: child.pid!,
    dir: node.dataDir,
    output: () => cluster.logTail(node.id),
    async kill9() {
      await cluster.kill(node.id);
    },
    async stop() {
      live.delete(child);
      await cluster.stop();
    },
  };
}

/** The `fs.read` + `socket.write` floor (floor-server.ts) serving `files` to each client that connects. */
export async function startFloor(files: string[]): Promise<Server> {
  const script = path.join(import.meta.dirname, 'floor-server.ts');
  const started = await spawnServer(
    'floor server',
    process.execPath,
    ['--import', 'tsx', script, ...files],
    /listening on (\d+)/,
  );
  return server('fs.read + socket.write', started, Number(started.match[1]), tempDir('sluice-bench-floor-'));
}

/** Connects, reads until the server ends the connection, and returns how many bytes came and how long it took. */
export function drain(port: number): Promise<{ bytes: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let bytes = 0;
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.on('data', (d: Buffer) => {
      bytes += d.length;
    });
    socket.on('error', reject);
    socket.on('end', () => resolve({ bytes, ms: performance.now() - start }));
  });
}

/** redis-server with no persistence (`acks=1`-like) or an fsync-always append-only file (`sync`). */
export async function startRedis(mode: 'memory' | 'aof-always'): Promise<Server> {
  const dir = tempDir('sluice-bench-redis-');
  const port = await freePort();
  const persistence =
    mode === 'memory'
      ? ['--save', '', '--appendonly', 'no']
      : ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
  const started = await spawnServer(
    'redis-server',
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--protected-mode', 'yes', ...persistence],
    /Ready to accept connections/,
  );
  return server(`redis (${mode})`, started, port, dir);
}

/** nats-server with JetStream, file storage in a temp dir. */
export async function startNats(): Promise<Server> {
  const dir = tempDir('sluice-bench-nats-');
  const port = await freePort();
  const started = await spawnServer(
    'nats-server',
    'nats-server',
    ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir],
    /Server is ready/,
  );
  return server('nats jetstream', started, port, dir);
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the CI and laptops run

/** CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that closes the command name; utime and stime are the 12th and 13th of them.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export interface ProcResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a client program to completion; rejects with its output when it fails. */
export function runTimed(
  cmd: string,
  args: string[],
  opts: { stdout?: 'collect' | 'count-lines' | 'sum-lines'; stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ProcResult & { lines: number; sum: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, args, {
      stdio: [opts.stdin ? fs.openSync(opts.stdin, 'r') : 'ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    live.add(child);
    let stdout = '';
    let stderr = '';
    let lines = 0;
    let sum = 0;
    let current = 0;
    child.stdout!.on('data', (d: Buffer) => {
      if (opts.stdout === 'count-lines') {
        for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
      } else if (opts.stdout === 'sum-lines') {
        // One decimal number per line (kcat -f '%S\n': each record's value size).
        for (let i = 0; i < d.length; i++) {
          const c = d[i];
          if (c === 10) {
            lines++;
            sum += current;
            current = 0;
          } else current = current * 10 + (c - 48);
        }
      } else stdout += d.toString('utf8');
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      live.delete(child);
      const ms = performance.now() - start;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${stdout}\n${stderr}`));
      else resolve({ code, stdout, stderr, ms, lines, sum });
    });
  });
}
