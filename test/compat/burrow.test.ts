import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { describeWithTools, type Tool } from '../helpers/tools.js';

const BURROW = '/usr/bin/Burrow';
const ZK_CLASSPATH = '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar';
const TOPIC = 'lagged';
const GROUP = 'watched';

function fileTool(name: string, paths: string[], install: string): Tool {
  const missing = paths.filter((p) => !existsSync(p));
  return missing.length === 0
    ? { name, available: true, detail: paths.join(', ') }
    : { name, available: false, detail: `${missing.join(', ')} not found; install: ${install}` };
}

const burrowTool = fileTool('Burrow', [BURROW], 'apt-get install burrow');
const zookeeperTool = fileTool(
  'ZooKeeper',
  ['/usr/bin/java', '/usr/share/java/zookeeper.jar'],
  'apt-get install zookeeper default-jre-headless',
);

/** A port nobody listens on right now (ZooKeeper and Burrow cannot be told to pick one themselves). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** ZooKeeper's `srvr` four-letter word: it names a mode only once the server takes sessions. */
function zookeeperServing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let reply = '';
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('srvr'));
    socket.on('data', (d) => {
      reply += d;
    });
    socket.once('close', () => resolve(reply.includes('Mode:')));
    socket.once('error', () => resolve(false));
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${ms} ms waiting for ${what}\n--- Burrow log (tail)\n${burrowLog.slice(-4000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

let burrowLog = '';

interface BurrowPartition {
  topic: string;
  partition: number;
  owner: string;
  client_id: string;
  status: string;
  end: { offset: number; lag: number };
  current_lag: number;
}

describeWithTools(
  'Burrow 1.2.1 reads consumer lag from the Sluice broker',
  [burrowTool, zookeeperTool],
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-burrow-'));
    const children: ChildProcess[] = [];
    let broker: TestBroker | undefined;
    let consumer: Consumer | undefined;
    let compactedBroker: TestBroker | undefined;

    afterAll(async () => {
      await consumer?.disconnect().catch(() => undefined);
      // Burrow's connections must be gone before the broker drains, or the drain waits on them.
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGKILL');
            }),
        ),
      );
      await broker?.stop();
      await compactedBroker?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    function start(cmd: string, args: string[]): ChildProcess {
      const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      child.on('exit', (code, signal) => {
        if (cmd === BURROW) burrowLog += `\n[Burrow exited: ${code ?? signal}]`;
      });
      child.stdout?.on('data', (d) => {
        if (cmd === BURROW) burrowLog += d;
      });
      child.stderr?.on('data', (d) => {
        if (cmd === BURROW) burrowLog += d;
      });
      return child;
    }

    let zkPort: number | undefined;
    /** A private ZooKeeper (Burrow 1.2.1 will not start without one), shared by the cases. */
    async function startZooKeeper(): Promise<number> {
      if (zkPort !== undefined) return zkPort;
      const port = await freePort();
      mkdirSync(join(dir, 'zk'));
      writeFileSync(
        join(dir, 'zoo.cfg'),
        `tickTime=500\ndataDir=${join(dir, 'zk')}\nclientPort=${port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\n`,
      );
      start('/usr/bin/java', [
        '-Dzookeeper.admin.enableServer=false',
        '-cp',
        ZK_CLASSPATH,
        'org.apache.zookeeper.server.ZooKeeperServerMain',
        join(dir, 'zoo.cfg'),
      ]);
      await until('ZooKeeper to serve', async () => ((await zookeeperServing(port)) ? true : undefined));
      zkPort = port;
      return port;
    }

    /** Starts a Burrow on `bootstrap` (its own config dir and ZooKeeper root) and returns its HTTP API. */
    async function startBurrow(bootstrap: string, name: string) {
      const zk = await startZooKeeper();
      const confDir = join(dir, `burrow-${name}`);
      mkdirSync(confDir);
      const httpPort = await freePort();
      writeFileSync(
        join(confDir, 'burrow.toml'),
        [
          '[general]',
          `pidfile="${join(confDir, 'burrow.pid')}"`,
          '[logging]',
          'level="info"',
          '[zookeeper]',
          `servers=["127.0.0.1:${zk}"]`,
          'timeout=6',
          `root-path="/burrow-${name}"`,
          '[client-profile.test]',
          'client-id="burrow-test"',
          'kafka-version="2.0.0"',
          '[cluster.local]',
          'class-name="kafka"',
          `servers=["${bootstrap}"]`,
          'client-profile="test"',
          'topic-refresh=1',
          'offset-refresh=1',
          '[consumer.local]',
          'class-name="kafka"',
          'cluster="local"',
          `servers=["${bootstrap}"]`,
          'client-profile="test"',
          'offsets-topic="__consumer_offsets"',
          'start-latest=false',
          '[storage.default]',
          'class-name="inmemory"',
          'intervals=5',
          'min-distance=0',
          'expire-group=604800',
          '[evaluator.default]',
          'class-name="caching"',
          'expire-cache=1',
          '[httpserver.default]',
          `address="127.0.0.1:${httpPort}"`,
          '',
        ].join('\n'),
      );
      start(BURROW, ['-config-dir', confDir]);
      return async (path: string) => {
        const res = await fetch(`http://127.0.0.1:${httpPort}${path}`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
    }

    it('reports the group partitions, committed offsets, lag and status, agreeing with the broker', async () => {
      broker = await startTestBroker({ groups: { minSessionTimeoutMs: 1000 } });
      const kafka = new Kafka({
        brokers: [broker.bootstrap],
        clientId: 'lag-watcher',
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: Array.from({ length: 60 }, (_, i) => ({ partition: i % 2, value: `v${i}` })),
      });
      await producer.disconnect();
      await admin.disconnect();

      const burrow = await startBurrow(broker.bootstrap, 'first');
      // Burrow drops commits for partitions whose head offset it has not fetched yet: wait for the topic.
      await until('Burrow to know the topic head offsets', async () => {
        const r = await burrow(`/v3/kafka/local/topic/${TOPIC}`);
        return (r.body.offsets as number[] | undefined)?.length === 2 ? true : undefined;
      });

      // A real group member commits a few times, its lag shrinking each time.
      consumer = kafka.consumer({
        groupId: GROUP,
        sessionTimeout: 6000,
        heartbeatInterval: 300,
        maxWaitTimeInMs: 200,
      });
      let joined = false;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        joined = true;
      });
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
      await until('the consumer to join', async () => (joined ? true : undefined));
      consumer.pause([{ topic: TOPIC }]);
      // Burrow rates a partition STOP once the time since its last commit exceeds the span of its
      // commit window (5 commits here), so the commits are spread over seconds, not milliseconds.
      const steps = [2, 4, 6, 8, 10, 12, 14, 16];
      for (const step of steps) {
        await consumer.commitOffsets([
          { topic: TOPIC, partition: 0, offset: String(step) },
          { topic: TOPIC, partition: 1, offset: String(step + 5) },
        ]);
        if (step !== steps.at(-1)) await new Promise((r) => setTimeout(r, 600));
      }

      const lag = await until(
        "Burrow's view of the last commits",
        async () => {
          const r = await burrow(`/v3/kafka/local/consumer/${GROUP}/lag`);
          const status = r.body.status as { partitions: BurrowPartition[] } | undefined;
          const parts = status?.partitions ?? [];
          const end = (p: number) => parts.find((x) => x.partition === p)?.end.offset;
          const done = parts.length === 2 && end(0) === 16 && end(1) === 21;
          return done
            ? (r.body.status as { status: string; totallag: number; partitions: BurrowPartition[] })
            : undefined;
        },
        30_000,
      );

      // The broker's own figures: high watermarks and committed offsets.
      const hwm = [0, 1].map((p) => Number(broker!.broker.store.partition(TOPIC, p)!.highWatermark));
      const committed = broker.broker.groups
        .fetchOffsets({ groupId: GROUP, topics: [{ name: TOPIC, partitionIndexes: [0, 1] }] })
        .topics[0].partitions.map((p) => p.committedOffset);
      expect(hwm).toEqual([30, 30]);
      expect(committed).toEqual([16, 21]);
      const topic = await burrow(`/v3/kafka/local/topic/${TOPIC}`);
      expect(topic.body.offsets).toEqual(hwm);
      const byPartition = [...lag.partitions].sort((a, b) => a.partition - b.partition);
      expect(byPartition.map((p) => p.end.offset)).toEqual(committed);
      expect(byPartition.map((p) => p.current_lag)).toEqual([hwm[0] - committed[0], hwm[1] - committed[1]]);
      expect(lag.totallag).toBe(hwm[0] - committed[0] + hwm[1] - committed[1]);
      // Lag fell between commits, so the evaluator rates every partition and the group OK.
      expect(byPartition.map((p) => p.status)).toEqual(['OK', 'OK']);
      expect(lag.status).toBe('OK');
      // Ownership comes from the group metadata record (value v1) the coordinator wrote.
      // (Burrow 1.2.1 fills only the owner from it; its client_id stays empty.)
      expect(byPartition.map((p) => p.owner)).toEqual(['/127.0.0.1', '/127.0.0.1']);

      const unknown = await burrow('/v3/kafka/local/consumer/nobody/lag');
      expect(unknown.status).toBe(404);
    }, 60_000);
    it('starts after __consumer_offsets was compacted and still reports the group from its surviving records', async () => {
      compactedBroker = await startTestBroker({ groups: { offsetsTopicSegmentBytes: 1024 } });
      const kafka = new Kafka({
        brokers: [compactedBroker.bootstrap],
        clientId: 'w',
        logLevel: logLevel.NOTHING,
      });
      const producer = kafka.producer();
      await producer.connect();
      await compactedBroker.broker.store.createTopic(TOPIC, 2, {});
      await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: Array.from({ length: 60 }, (_, i) => ({ partition: i % 2, value: `v${i}` })),
      });
      await producer.disconnect();
      const groups = compactedBroker.broker.groups;
      for (let i = 1; i <= 40; i++) {
        const r = await groups.commitOffsets({
          groupId: 'compacted',
          generationId: -1,
          memberId: '',
          topics: [
            {
              name: TOPIC,
              partitions: [
                { partitionIndex: 0, committedOffset: Math.min(i, 20) },
                { partitionIndex: 1, committedOffset: Math.min(i, 25) },
              ],
            },
          ],
        });
        expect(r.topics[0].partitions.map((p) => p.errorCode)).toEqual([0, 0]);
      }
      const log = compactedBroker.broker.logManager.requireLog('__consumer_offsets', 0);
      const result = await log.compact();
      expect(result.recordsRemoved).toBeGreaterThan(40);
      expect(log.logStartOffset).toBe(0n);

      const burrow = await startBurrow(compactedBroker.bootstrap, 'compacted');
      const lag = await until(
        'Burrow to report the group from the compacted topic',
        async () => {
          const r = await burrow('/v3/kafka/local/consumer/compacted/lag');
          const parts = (r.body.status as { partitions?: BurrowPartition[] } | undefined)?.partitions ?? [];
          const end = (p: number) => parts.find((x) => x.partition === p)?.end.offset;
          return parts.length === 2 && end(0) === 20 && end(1) === 25 ? parts : undefined;
        },
        30_000,
      );
      expect(lag.map((p) => p.current_lag).sort((a, b) => a - b)).toEqual([5, 10]);
      expect(burrowLog).not.toMatch(/panic|OFFSET_OUT_OF_RANGE|offset out of range/i);
    }, 60_000);
  },
);
