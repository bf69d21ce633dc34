/**
 * The fraud-detection job on Kafka run by two `sluice engine run` processes of one consumer group,
 * written once and run on the embedded broker (test/e2e/engine-kafka.test.ts) and on the three-broker
 * Kafka cluster (test/kafka/engine-kafka.test.ts). One score-aggregator instance is slow in each process:
 * - stop-sources: each process owns half the partitions; the backlog stays in the broker (the lag
 *   monitor's lag for the group grows) while each process holds at most a bounded number of records;
 *   kill -9 one process and the other takes its partitions within the session timeout, and every
 *   transaction gets a decision on the output topic.
 * - drop: the sources keep up (the group's lag drains while the slow instance is still slow), drops are
 *   counted, latency stays far below the stop-sources run's, and every transaction without a decision is
 *   covered by a counted drop.
 *
 * The session timeout (6 s) is Kafka's group.min.session.timeout.ms, so no branch on the target.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { Producer } from '../../src/client/producer.js';
import type { Decision } from '../../src/engine/examples/fraud-detection.js';
import { transactionMaker } from '../../src/engine/examples/fraud-detection.js';
import type { EngineStatus } from '../../src/engine/kafka/process.js';
import { LagMonitor } from '../../src/monitor/monitor.js';
import type { Target } from '../helpers/targets.js';
import { brokersOf, clientFixture, until } from './common.js';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const JOB = new URL('../../src/engine/examples/fraud-kafka.ts', import.meta.url).pathname;
const PARTITIONS = 4;
const SESSION_MS = 6000;
/** Queue capacity in front of every instance: with the fetch size, what bounds a process's records in hand. */
const QUEUE = 50;

interface EngineChild {
  child: ChildProcess;
  output: () => string;
  status(): Promise<EngineStatus>;
  stop(): Promise<void>;
}

export function engineKafkaSuite(target: Target): void {
  const fx = clientFixture(target, 'engine-kafka-suite');
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  async function startEngine(
    group: string,
    input: string,
    output: string,
    strategy: string,
  ): Promise<EngineChild> {
    const args = [
      '--import',
      'tsx',
      CLI,
      'engine',
      'run',
      JOB,
      '--brokers',
      target().bootstrap,
      '--group',
      group,
      '--strategy',
      strategy,
      '--report-interval',
      '0',
      '--grace-period',
      '15',
      ...[
        'input',
        input,
        'output',
        output,
        'sources',
        '1',
        'slowCostMs',
        '10',
        'fetchBytes',
        '16384',
      ].flatMap((v, i, a) => (i % 2 === 0 ? ['--param', `${v}=${a[i + 1]}`] : [])),
      '--param',
      `queueCapacity=${QUEUE}`,
      '--param',
      `sessionTimeoutMs=${SESSION_MS}`,
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr!.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`engine did not start:\n${out}`)), 30_000);
      const check = () => {
        const m = /status at (http:\/\/[^\s]+)\/status/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout!.on('data', check);
      child.on('exit', () => reject(new Error(`engine exited:\n${out}`)));
    });
    return {
      child,
      output: () => out,
      status: async () => (await (await fetch(`${address}/status`)).json()) as EngineStatus,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    };
  }

  async function createTopics(input: string, output: string): Promise<void> {
    await fx().admin.createTopics([
      { topic: input, numPartitions: PARTITIONS },
      { topic: output, numPartitions: 2 },
    ]);
  }

  async function produceTransactions(topic: string, count: number, prefix: string): Promise<string[]> {
    const producer = new Producer({ cluster: fx().cluster, lingerMs: 5 });
    const make = transactionMaker(7, 200, prefix);
    const ids: string[] = [];
    const messages = [];
    for (let i = 0; i < count; i++) {
      const tx = make(i, Date.now());
      ids.push(tx.id);
      messages.push({ topic, key: String(tx.card), value: JSON.stringify(tx) });
    }
    const deliveries = await producer.send(messages);
    expect(deliveries.every((d) => d.status === 'delivered')).toBe(true);
    await producer.close();
    return ids;
  }

  /** Every decision on the output topic so far (duplicates kept: at-least-once may repeat one). */
  async function readDecisions(topic: string): Promise<Decision[]> {
    const client = new ConsumerClient({ cluster: fx().cluster, autoOffsetReset: 'earliest' });
    client.assign([0, 1].map((partition) => ({ topic, partition, offset: 0n })));
    const out: Decision[] = [];
    for (;;) {
      const fetched = await client.poll({ maxBytes: 4 * 1024 * 1024, maxWaitMs: 50 });
      const records = fetched.flatMap((f) => f.records);
      if (records.length === 0) break;
      for (const r of records) out.push(JSON.parse(String(r.value)) as Decision);
    }
    return out;
  }

  async function groupLag(group: string): Promise<number> {
    const monitor = new LagMonitor({ brokers: brokersOf(target()), includeGroups: [`^${group}$`] });
    const report = await monitor.collect().finally(() => monitor.stop());
    const g = report.groups.find((x) => x.group === group);
    // -1 (unknown) while some partition's lag is unknown (offsets not read, or records and no commit yet):
    // the total leaves those out.
    return g && g.unknown_lag_partitions === 0 ? g.total_lag : -1;
  }

  /** p99 latency of the stop-sources run's survivor: what a backlog left in the broker costs. */
  let stopSourcesP99: number | undefined;
  const owned = (s: EngineStatus) => s.sources.reduce((n, src) => n + src.partitions.length, 0);
  /** Records a process read and whose results are not yet acknowledged: what it holds in memory. */
  const inHand = (s: EngineStatus) => s.sources.reduce((n, src) => n + src.read - src.handled, 0);

  it('stop-sources: two processes share the partitions, the backlog stays in the broker, and after kill -9 the survivor decides every transaction', async () => {
    const input = fx().name('engine-tx');
    const output = fx().name('engine-decisions');
    const group = fx().name('engine-fraud');
    await createTopics(input, output);
    const [a, b] = await Promise.all([
      startEngine(group, input, output, 'stop-sources'),
      startEngine(group, input, output, 'stop-sources'),
    ]);
    await until(
      'each process owning half the partitions',
      async () => owned(await a.status()) === PARTITIONS / 2 && owned(await b.status()) === PARTITIONS / 2,
      30_000,
    );

    const ids = await produceTransactions(input, 1000, 'ss-');
    // The slow instance (10 ms a score, about one score per transaction) lets each process decide
    // ~100 transactions/s: most of the 1000 stay behind, in the broker.
    await until('decisions flowing in both processes', async () => {
      const [sa, sb] = [await a.status(), await b.status()];
      return sa.sinks.received > 0 && sb.sinks.received > 0;
    });
    // Sampled until it shows: one collection can miss a partition's offsets (CI saw 0 once on Kafka×3).
    let lagEarly = -1;
    await until(
      'the backlog visible as group lag',
      async () => (lagEarly = await groupLag(group)) > 500,
      10_000,
    );
    expect(lagEarly).toBeGreaterThan(500);
    // Bounded memory: what a process holds is its queues plus one fetch (16 KiB, ~100 records), never
    // the backlog.
    for (const p of [a, b]) {
      const s = await p.status();
      expect(inHand(s)).toBeLessThan(300);
      expect(s.instances.every((i) => i.queueDepth === null || i.queueDepth <= QUEUE)).toBe(true);
    }

    a.child.kill('SIGKILL');
    await until(
      'the survivor owning every partition',
      async () => owned(await b.status()) === PARTITIONS,
      SESSION_MS * 3,
    );
    await until(
      'a decision for every transaction on the output topic',
      async () => {
        const decided = new Set((await readDecisions(output)).map((d) => d.txId));
        return ids.every((id) => decided.has(id));
      },
      90_000,
    );
    await until('the group caught up (lag 0)', async () => (await groupLag(group)) === 0, 20_000);
    const survivor = await b.status();
    expect(survivor.dropped).toBe(0);
    stopSourcesP99 = survivor.sinks.latencyMs.p99;
    await b.stop();
    expect(b.output()).toMatch(/stopped cleanly/);
  }, 180_000);

  it('drop: the sources keep up, drops are counted, latency stays low, and every undecided transaction is a counted drop', async () => {
    const input = fx().name('engine-tx-drop');
    const output = fx().name('engine-decisions-drop');
    const group = fx().name('engine-fraud-drop');
    await createTopics(input, output);
    const [a, b] = await Promise.all([
      startEngine(group, input, output, 'drop'),
      startEngine(group, input, output, 'drop'),
    ]);
    await until(
      'each process owning half the partitions',
      async () => owned(await a.status()) === PARTITIONS / 2 && owned(await b.status()) === PARTITIONS / 2,
      30_000,
    );
    const ids = await produceTransactions(input, 600, 'dr-');
    const handled = async () => (await a.status()).sources[0].handled + (await b.status()).sources[0].handled;
    // Both: a lag of 0 read in one collection is not proof on its own (CI saw it with 315 of 600 handled).
    await until(
      'every transaction handled and committed (lag 0)',
      async () => (await handled()) >= ids.length && (await groupLag(group)) === 0,
      60_000,
    );
    const [sa, sb] = [await a.status(), await b.status()];
    const dropped = sa.dropped + sb.dropped;
    expect(dropped).toBeGreaterThan(0);
    expect(sa.sources[0].handled + sb.sources[0].handled).toBeGreaterThanOrEqual(ids.length);
    const decided = new Set((await readDecisions(output)).map((d) => d.txId));
    const undecided = ids.filter((id) => !decided.has(id)).length;
    // A transaction goes undecided only when at least one of its three scores was dropped.
    expect(undecided).toBeGreaterThan(0);
    expect(undecided).toBeLessThanOrEqual(dropped);
    // Latency is bounded by a full queue at the slow instance, not by the backlog as under stop-sources
    // (a relative check: the machine's load moves both, and a fixed number of ms would be flaky).
    if (stopSourcesP99 === undefined)
      throw new Error('run the stop-sources test first: it measures the baseline');
    expect(Math.max(sa.sinks.latencyMs.p99, sb.sinks.latencyMs.p99)).toBeLessThan(stopSourcesP99 / 2);
    await Promise.all([a.stop(), b.stop()]);
  }, 120_000);
}
