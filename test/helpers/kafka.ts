import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from './burrow.js';
import { JAVA_RUN } from './java.js';
import { KafkaToolRunner } from './kafka-tool-runner.js';
import { type RunResult, run } from './run.js';
import type { Tool } from './tools.js';
import { WireClient } from './wire-client.js';

/**
 * Apache Kafka in the test rig: a KRaft cluster of one or three combined broker+controller nodes on free
 * loopback ports, each with its own temp data folder, started from the cache that scripts/kafka/fetch.sh
 * fills through Maven. The tests compare Sluice with it and run Sluice's suites on it.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TOOL = join(ROOT, 'scripts/kafka/kafka-tool.sh');
const FETCH = join(ROOT, 'scripts/kafka/fetch.sh');

/** The pinned release, read from the one place that pins it. */
export const KAFKA_VERSION = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(
  readFileSync(join(ROOT, 'scripts/kafka/pom.xml'), 'utf8'),
)?.[1] as string;

/** Java and Maven present, so the cache can be filled (fetch.sh is quick once it is). */
export function kafkaTool(): Tool {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    execFileSync('mvn', ['-v'], { stdio: 'ignore' });
    return { name: `Apache Kafka ${KAFKA_VERSION}`, available: true, detail: 'java and mvn present' };
  } catch (err) {
    return {
      name: `Apache Kafka ${KAFKA_VERSION}`,
      available: false,
      detail: `${(err as Error).message.split('\n')[0]}; install: Java 17 and Maven (apt-get install openjdk-17-jre-headless maven)`,
    };
  }
}

/** Fills the cache if needed and returns its folder. */
export function fetchKafka(): string {
  return execFileSync('bash', [FETCH], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export interface KafkaClusterOptions {
  /** 1 for a single node; 3 for the replicated cluster (replication factor 3, min.insync.replicas=2). */
  brokers: 1 | 3;
  /** Extra server.properties for every node. */
  config?: Record<string, string>;
  /** JVM heap per node (default -Xmx512m). */
  heap?: string;
  /**
   * Listeners beside PLAINTEXT, listener name → security protocol (e.g. `{ SASL_SSL: 'SASL_SSL' }`), each
   * on its own free port (`node.listenerPorts`, `cluster.listenerBootstrap(name)`). PLAINTEXT stays: it
   * carries inter-broker traffic and the rig's readiness check. The security settings themselves
   * (keystore, JAAS, mechanisms, authorizer) go in `config`.
   */
  listeners?: Record<string, 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'>;
  /** SCRAM credentials written when the storage is formatted (kafka-storage format --add-scram). */
  scramUsers?: { mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; name: string; password: string }[];
}

export interface KafkaNode {
  id: number;
  port: number;
  controllerPort: number;
  dataDir: string;
  logFile: string;
  /** The port of each extra listener (KafkaClusterOptions.listeners), by name. */
  listenerPorts: Record<string, number>;
  /** The running JVM, or undefined after kill()/stop(). */
  process: ChildProcess | undefined;
}

export interface KafkaCluster {
  brokers: 1 | 3;
  /** Every node's listener, comma-separated, for clients. */
  bootstrap: string;
  /** Every node's port of one extra listener (KafkaClusterOptions.listeners), comma-separated. */
  listenerBootstrap(name: string): string;
  clusterId: string;
  nodes: KafkaNode[];
  /** kill -9 one node. */
  kill(id: number): Promise<void>;
  /** Starts a killed node again on the same ports and data, and waits until the cluster sees it. */
  restart(id: number): Promise<void>;
  /** Waits until every node is registered and answers Metadata. */
  ready(timeoutMs?: number): Promise<void>;
  /** The tail of one node's log, for error messages. */
  logTail(id: number): string;
  stop(): Promise<void>;
}

/**
 * The rig's group.min.session.timeout.ms (Kafka's default is 6 s): tests of session expiry and of
 * heartbeats outliving a session wait a few session timeouts, so a short one saves them seconds.
 */
export const KAFKA_MIN_SESSION_TIMEOUT_MS = 2000;

/**
 * The server.properties of one node. Departures from Kafka's defaults, each for test speed on two cores,
 * none changing what a client sees on the wire: __consumer_offsets has 10 partitions instead of 50 (it is
 * created with replication factor 3 on first use), a new group's first rebalance is not delayed 3 s, and
 * sessions may be as short as {@link KAFKA_MIN_SESSION_TIMEOUT_MS}.
 */
function nodeProperties(
  node: KafkaNode,
  voters: string,
  size: number,
  extra: Record<string, string>,
  listenerProtocols: Record<string, string>,
): Record<string, string> {
  const rf = String(size);
  const minIsr = size === 3 ? '2' : '1';
  const named = Object.entries(listenerProtocols);
  const advertised = [
    `PLAINTEXT://127.0.0.1:${node.port}`,
    ...named.map(([name]) => `${name}://127.0.0.1:${node.listenerPorts[name]}`),
  ];
  return {
    'process.roles': 'broker,controller',
    'node.id': String(node.id),
    'controller.quorum.voters': voters,
    listeners: [...advertised, `CONTROLLER://127.0.0.1:${node.controllerPort}`].join(','),
    'advertised.listeners': advertised.join(','),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': [
      'CONTROLLER:PLAINTEXT',
      'PLAINTEXT:PLAINTEXT',
      ...named.map(([name, protocol]) => `${name}:${protocol}`),
    ].join(','),
    'log.dirs': join(node.dataDir, 'log'),
    'metadata.log.dir': join(node.dataDir, 'metadata'),
    'default.replication.factor': rf,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': rf,
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': minIsr,
    'share.coordinator.state.topic.replication.factor': rf,
    'share.coordinator.state.topic.min.isr': minIsr,
    'group.initial.rebalance.delay.ms': '0',
    'group.min.session.timeout.ms': String(KAFKA_MIN_SESSION_TIMEOUT_MS),
    ...extra,
  };
}

function writeProperties(path: string, props: Record<string, string>): void {
  writeFileSync(
    path,
    `${Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
}

let toolRunner: KafkaToolRunner | undefined;

/**
 * Runs one of Kafka's command-line tools and collects its output: in this process's warm tool runner, or,
 * with SLUICE_KAFKA_TOOLS=process, as a JVM of its own through scripts/kafka/kafka-tool.sh.
 */
export function kafkaCli(
  tool: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; allowFailure?: boolean } = {},
): Promise<RunResult> {
  if (process.env.SLUICE_KAFKA_TOOLS === 'process') {
    return run('bash', [TOOL, tool, ...args], { timeoutMs: 60_000, ...opts });
  }
  toolRunner ??= new KafkaToolRunner(JAVA_RUN, TOOL);
  return toolRunner.call(tool, args, opts);
}

/** Asks one listener for Metadata; resolves to the broker ids it knows, or undefined if it does not answer. */
async function registeredBrokers(port: number): Promise<number[] | undefined> {
  const c = await WireClient.open(port);
  try {
    const res = await c.request(3, 12, { topics: [] });
    return res.brokers.map((b) => b.nodeId).sort();
  } finally {
    c.close();
  }
}

export async function startKafka(options: KafkaClusterOptions): Promise<KafkaCluster> {
  // Fills the cache before the first JVM starts, so its progress is not interleaved with format's.
  fetchKafka();
  const size = options.brokers;
  const root = mkdtempSync(join(tmpdir(), `sluice-kafka-${size}-`));
  const nodes: KafkaNode[] = [];
  for (let id = 1; id <= size; id++) {
    const dataDir = join(root, `node-${id}`);
    mkdirSync(dataDir, { recursive: true });
    const listenerPorts: Record<string, number> = {};
    for (const name of Object.keys(options.listeners ?? {})) listenerPorts[name] = await freePort();
    nodes.push({
      id,
      port: await freePort(),
      controllerPort: await freePort(),
      dataDir,
      logFile: join(dataDir, 'kafka.log'),
      listenerPorts,
      process: undefined,
    });
  }
  const voters = nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
  const clusterId = (await kafkaCli('kafka-storage', ['random-uuid'])).stdout.trim();
  await Promise.all(
    nodes.map(async (n) => {
      const props = join(n.dataDir, 'server.properties');
      writeProperties(props, nodeProperties(n, voters, size, options.config ?? {}, options.listeners ?? {}));
      const scram = (options.scramUsers ?? []).flatMap((u) => [
        '--add-scram',
        `${u.mechanism}=[name=${u.name},password=${u.password}]`,
      ]);
      await kafkaCli('kafka-storage', [
        'format',
        '-t',
        clusterId,
        '-c',
        props,
        '--ignore-formatted',
        ...scram,
      ]);
    }),
  );

  const heap = options.heap ?? '-Xmx512m -Xms128m';
  const launch = (n: KafkaNode): void => {
    const child = spawn('bash', [TOOL, 'kafka-server-start', join(n.dataDir, 'server.properties')], {
      env: { ...process.env, KAFKA_HEAP_OPTS: heap, KAFKA_LOG_FILE: n.logFile },
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: n.dataDir,
    });
    // stderr holds JVM-level failures (a bad flag, no memory) that never reach the log file.
    child.stderr?.on('data', (b: Buffer) => writeFileSync(`${n.logFile}.stderr`, b, { flag: 'a' }));
    n.process = child;
  };
  const logTail = (id: number): string => {
    const n = nodes.find((x) => x.id === id);
    if (!n) return '';
    const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '');
    return `--- node ${id} log\n${read(n.logFile).slice(-3000)}${read(`${n.logFile}.stderr`).slice(-1000)}`;
  };
  const allLogs = () => nodes.map((n) => logTail(n.id)).join('\n');

  const waitRegistered = async (expected: number[], timeoutMs: number): Promise<void> => {
    const want = expected.join(',');
    await Promise.all(
      nodes
        .filter((n) => expected.includes(n.id))
        .map((n) =>
          waitFor(
            `Kafka node ${n.id} (127.0.0.1:${n.port}) to list brokers ${want}`,
            async () => ((await registeredBrokers(n.port))?.join(',') === want ? true : undefined),
            timeoutMs,
            allLogs,
          ),
        ),
    );
  };

  let stopped = false;
  const stopNode = async (n: KafkaNode, signal: NodeJS.Signals): Promise<void> => {
    const child = n.process;
    n.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    // kafka-tool.sh execs java, so the child's pid is the JVM's.
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  const live = () => nodes.filter((n) => n.process).map((n) => n.id);

  const cluster: KafkaCluster = {
    brokers: size,
    bootstrap: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    listenerBootstrap(name) {
      if (!(name in nodes[0].listenerPorts)) {
        throw new Error(
          `no listener ${name}; this cluster was started with ${Object.keys(nodes[0].listenerPorts).join(', ') || 'PLAINTEXT only'}`,
        );
      }
      return nodes.map((n) => `127.0.0.1:${n.listenerPorts[name]}`).join(',');
    },
    clusterId,
    nodes,
    logTail,
    ready: (timeoutMs = 90_000) => waitRegistered(live(), timeoutMs),
    async kill(id) {
      const n = nodes.find((x) => x.id === id);
      if (!n) throw new Error(`no Kafka node ${id}; nodes are ${nodes.map((x) => x.id).join(', ')}`);
      await stopNode(n, 'SIGKILL');
    },
    async restart(id) {
      const n = nodes.find((x) => x.id === id);
      if (!n) throw new Error(`no Kafka node ${id}; nodes are ${nodes.map((x) => x.id).join(', ')}`);
      if (n.process) throw new Error(`Kafka node ${id} is still running; kill it first`);
      launch(n);
      await waitRegistered(live(), 90_000);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await Promise.all(nodes.map((n) => stopNode(n, 'SIGTERM')));
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };

  try {
    for (const n of nodes) launch(n);
    await cluster.ready();
    return cluster;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}
