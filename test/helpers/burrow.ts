import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Tool } from './tools.js';

/**
 * Burrow 1.2.1 and the private ZooKeeper it will not start without, on free loopback ports in temp dirs
 * that stop() removes. One ZooKeeper may be shared by several Burrows (each under its own root path);
 * a Burrow given none starts and stops its own.
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

/** A port nobody listens on right now (for servers that cannot be told to pick one themselves). */
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

/** Polls `probe` until it yields a value; past `ms` throws naming `what`, with the tail of `log()`. */
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

/** Child processes spawned in one temp dir; stop() kills them all and removes the dir. */
function processGroup(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const children: ChildProcess[] = [];
  return {
    dir,
    spawn(cmd: string, args: string[], onOutput?: (text: string) => void): ChildProcess {
      const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      if (onOutput) {
        child.stdout?.on('data', (d: Buffer) => onOutput(String(d)));
        child.stderr?.on('data', (d: Buffer) => onOutput(String(d)));
        child.on('exit', (code, signal) => onOutput(`\n[${cmd} exited: ${code ?? signal}]`));
      }
      return child;
    },
    async stop(): Promise<void> {
      for (const c of children) {
        if (c.exitCode === null && c.signalCode === null) {
          const exited = new Promise((r) => c.once('exit', r));
          c.kill('SIGKILL');
          await exited;
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunningZookeeper {
  port: number;
  stop(): Promise<void>;
}

export async function startZookeeper(): Promise<RunningZookeeper> {
  const group = processGroup('sluice-zookeeper-');
  try {
    const port = await freePort();
    mkdirSync(join(group.dir, 'zk'));
    writeFileSync(
      join(group.dir, 'zoo.cfg'),
      `tickTime=500\ndataDir=${join(group.dir, 'zk')}\nclientPort=${port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\n`,
    );
    group.spawn(JAVA, [
      '-Xmx128m',
      '-Dzookeeper.admin.enableServer=false',
      '-cp',
      `/etc/zookeeper/conf:${ZK_JAR}`,
      'org.apache.zookeeper.server.ZooKeeperServerMain',
      join(group.dir, 'zoo.cfg'),
    ]);
    await waitFor(
      'ZooKeeper to serve',
      async () => ((await zookeeperServing(port)) ? true : undefined),
      30_000,
    );
    return { port, stop: group.stop };
  } catch (err) {
    await group.stop();
    throw err;
  }
}

export interface BurrowOptions {
  bootstrap: string;
  /** A shared ZooKeeper; without one this Burrow starts (and stops) its own. */
  zookeeper?: RunningZookeeper;
  /** Burrow's window (storage `intervals`). */
  intervals?: number;
  minDistance?: number;
  offsetRefresh?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** How many characters of Burrow's output log() keeps (the latest). */
  keepLog?: number;
}

export interface RunningBurrow {
  pid: number;
  get(path: string): Promise<{ status: number; body: Record<string, unknown> }>;
  log(): string;
  stop(): Promise<void>;
}

export async function startBurrow(options: BurrowOptions): Promise<RunningBurrow> {
  const ownZookeeper = options.zookeeper === undefined;
  let zookeeper = options.zookeeper;
  const group = processGroup('sluice-burrow-');
  const keepLog = options.keepLog ?? 100_000;
  let log = '';
  const stop = async () => {
    await group.stop();
    if (ownZookeeper) await zookeeper?.stop();
  };
  try {
    zookeeper ??= await startZookeeper();
    const httpPort = await freePort();
    const dir = group.dir;
    writeFileSync(
      join(dir, 'burrow.toml'),
      [
        '[general]',
        `pidfile="${join(dir, 'burrow.pid')}"`,
        '[logging]',
        `level="${options.logLevel ?? 'warn'}"`,
        '[zookeeper]',
        `servers=["127.0.0.1:${zookeeper.port}"]`,
        'timeout=6',
        // Its own root, so Burrows sharing a ZooKeeper do not see each other's state.
        `root-path="/${basename(dir)}"`,
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
    const burrow = group.spawn(BURROW, ['-config-dir', dir], (text) => {
      log = (log + text).slice(-keepLog);
    });
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
  owner: string;
  client_id: string;
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
