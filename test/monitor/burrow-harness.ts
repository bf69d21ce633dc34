import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tool } from '../helpers/tools.js';

/**
 * Burrow 1.2.1 with a private ZooKeeper (it will not start without one), both on free loopback ports
 * in a temp dir that stop() removes, for side-by-side tests and benchmarks of the lag monitor.
 */

export const BURROW = '/usr/bin/Burrow';
const JAVA = '/usr/bin/java';
const ZK_JAR = '/usr/share/java/zookeeper.jar';

function fileTool(name: string, paths: string[], install: string): Tool {
  const missing = paths.filter((p) => !existsSync(p));
  return missing.length === 0
    ? { name, available: true, detail: paths.join(', ') }
    : { name, available: false, detail: `${missing.join(', ')} not found; install: ${install}` };
}

export const burrowTools = (): Tool[] => [
  fileTool('Burrow', [BURROW], 'apt-get install burrow'),
  fileTool('ZooKeeper', [JAVA, ZK_JAR], 'apt-get install zookeeper default-jre-headless'),
];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** ZooKeeper's `srvr` four-letter word names a mode once the server takes sessions. */
function zookeeperServing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let reply = '';
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('srvr'));
    socket.on('data', (d) => {
      reply += d;
    });
    socket.once('close', () => resolve(reply.includes('Mode:')));
    socket.once('error', () => resolve(false));
    // A server still starting may accept and say nothing: give up on this probe, try again later.
    socket.setTimeout(1000, () => socket.destroy());
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms: number,
  log: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    // A probe that never settles (a request into a dying process) must not stall the wait.
    let timer: NodeJS.Timeout | undefined;
    const value = await Promise.race([
      probe().catch(() => undefined),
      new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), 5000);
      }),
    ]);
    clearTimeout(timer);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}\n${log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface BurrowOptions {
  bootstrap: string;
  /** Burrow's window (storage `intervals`). */
  intervals?: number;
  minDistance?: number;
  offsetRefresh?: number;
}

export interface RunningBurrow {
  pid: number;
  get(path: string): Promise<{ status: number; body: Record<string, unknown> }>;
  log(): string;
  stop(): Promise<void>;
}

export async function startBurrow(options: BurrowOptions): Promise<RunningBurrow> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-monitor-burrow-'));
  const children: ChildProcess[] = [];
  let log = '';
  const start = (cmd: string, args: string[], capture: boolean) => {
    const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const add = (d: Buffer) => {
      if (capture) log = (log + d).slice(-100_000);
    };
    child.stdout?.on('data', add);
    child.stderr?.on('data', add);
    child.on('exit', (code, signal) => {
      if (capture) log += `\n[${cmd} exited: ${code ?? signal}]`;
    });
    return child;
  };
  const stop = async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const zkPort = await freePort();
    mkdirSync(join(dir, 'zk'));
    writeFileSync(
      join(dir, 'zoo.cfg'),
      `tickTime=500\ndataDir=${join(dir, 'zk')}\nclientPort=${zkPort}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\n`,
    );
    start(
      JAVA,
      [
        '-Xmx128m',
        '-Dzookeeper.admin.enableServer=false',
        '-cp',
        `/etc/zookeeper/conf:${ZK_JAR}`,
        'org.apache.zookeeper.server.ZooKeeperServerMain',
        join(dir, 'zoo.cfg'),
      ],
      false,
    );
    await waitFor(
      'ZooKeeper to serve',
      async () => ((await zookeeperServing(zkPort)) ? true : undefined),
      30_000,
    );
    const httpPort = await freePort();
    writeFileSync(
      join(dir, 'burrow.toml'),
      [
        '[general]',
        `pidfile="${join(dir, 'burrow.pid')}"`,
        '[logging]',
        'level="warn"',
        '[zookeeper]',
        `servers=["127.0.0.1:${zkPort}"]`,
        'timeout=6',
        'root-path="/burrow"',
        '[client-profile.test]',
        'client-id="burrow-test"',
        'kafka-version="2.0.0"',
        '[cluster.local]',
        'class-name="kafka"',
        `servers=["${options.bootstrap}"]`,
        'client-profile="test"',
        'topic-refresh=1',
        `offset-refresh=${options.offsetRefresh ?? 1}`,
        '[consumer.local]',
        'class-name="kafka"',
        'cluster="local"',
        `servers=["${options.bootstrap}"]`,
        'client-profile="test"',
        'offsets-topic="__consumer_offsets"',
        'start-latest=false',
        '[storage.default]',
        'class-name="inmemory"',
        `intervals=${options.intervals ?? 10}`,
        `min-distance=${options.minDistance ?? 1}`,
        'expire-group=604800',
        '[evaluator.default]',
        'class-name="caching"',
        'expire-cache=1',
        '[httpserver.default]',
        `address="127.0.0.1:${httpPort}"`,
        '',
      ].join('\n'),
    );
    const burrow = start(BURROW, ['-config-dir', dir], true);
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${httpPort}${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    await waitFor(
      'Burrow HTTP',
      async () => ((await fetch(`http://127.0.0.1:${httpPort}/v3/kafka`)).ok ? true : undefined),
      30_000,
      () => log,
    );
    return { pid: burrow.pid ?? -1, get, log: () => log, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface BurrowPartition {
  topic: string;
  partition: number;
  status: string;
  start: { offset: number; timestamp: number; lag: number } | null;
  end: { offset: number; timestamp: number; lag: number } | null;
  current_lag: number;
}

export interface BurrowGroupStatus {
  status: string;
  totallag: number;
  partitions: BurrowPartition[];
}
