/**
 * Records/s through a job reading from and writing to Kafka (source -> parse -> enrich -> format -> sink,
 * bench/engine/kafka-job.ts) run by `sluice engine run` in one process and in two processes of one
 * group, beside the consumer runtime alone (a no-op sink) on the same topic. The embedded broker runs in
 * a child process. Run with `npm run bench:engine-kafka`.
 *
 * Each figure is the rate of records handled (for the engine: written to the output topic and committable)
 * between the first and the last progress reading, so process start-up and group joins are not counted.
 * Before a rate is printed the bench checks the work: the runtime's sink saw every input once, and the
 * engine's output topic holds a result for every input id (a rebalance between two processes may repeat
 * some, which is counted, never one missing).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { Producer } from '../../src/client/producer.js';
import { createKafkaConsumer } from '../../src/consumer/create.js';
import type { EngineStatus } from '../../src/engine/kafka/process.js';

const RECORDS = Number(process.env.RECORDS ?? 60_000);
const PARTITIONS = 4;
const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../../src/cli/main.ts');
const children: ChildProcess[] = [];

function start(args: string[]): { child: ChildProcess; line: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const line = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
  return { child, line };
}

const broker = start([join(here, '../client/broker-child.ts')]);
const bootstrap = `127.0.0.1:${JSON.parse(await broker.line).port}`;
const cluster = new Cluster({ brokers: [bootstrap], clientId: 'bench-admin' });
const admin = new Admin({ cluster });
await admin.connect();
await admin.createTopics([{ topic: 'events', numPartitions: PARTITIONS }]);

const producer = new Producer({ cluster, lingerMs: 5 });
for (let i = 0; i < RECORDS; i++) {
  const key = `k${i % 1000}`;
  await producer.produce({ topic: 'events', key, value: JSON.stringify({ id: i, key, amount: i % 100 }) });
}
await producer.flush();
await producer.close();

/** Polls `progress` until it reaches RECORDS; the rate between the first moving reading and the end. */
async function rate(progress: () => Promise<number>): Promise<number> {
  let first: { at: number; n: number } | undefined;
  for (;;) {
    const n = await progress().catch(() => 0);
    const at = performance.now();
    if (n > 0 && !first) first = { at, n };
    if (n >= RECORDS && first) return ((n - first.n) * 1000) / (at - first.at);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every input id in the output topic, read to its end: the repeats, or an error naming the first missing id. */
async function checkOutput(topic: string): Promise<number> {
  const ends = await admin.listOffsets(topic, 'latest');
  const consumer = new ConsumerClient({ cluster, clientId: 'bench-check' });
  consumer.assign(ends.map((e) => ({ topic, partition: e.partition, offset: 0n })));
  const seen = new Uint8Array(RECORDS);
  let read = 0;
  const total = ends.reduce((s, e) => s + Number(e.offset), 0);
  try {
    while (read < total) {
      for (const p of await consumer.poll({ maxBytes: 4 << 20, maxWaitMs: 100 })) {
        for (const r of p.records) {
          read++;
          seen[(JSON.parse(String(r.value)) as { id: number }).id] = 1;
        }
      }
    }
  } finally {
    consumer.close();
  }
  const missing = seen.indexOf(0);
  if (missing >= 0) throw new Error(`${topic} holds ${read} results, none for input id ${missing}`);
  return read - RECORDS;
}

async function consumerRuntime(): Promise<number> {
  // A count and a sum of offsets, cheap enough to leave the no-op sink a no-op, tell a repeat or a gap.
  let writes = 0;
  let offsetSum = 0;
  const runtime = createKafkaConsumer({
    brokers: [bootstrap],
    groupId: 'bench-runtime',
    topics: ['events'],
    autoOffsetReset: 'earliest',
    deadLetter: false,
    sink: {
      name: 'noop',
      write: async (record) => {
        writes++;
        offsetSum += Number(record.offset);
      },
    },
  });
  await runtime.start();
  const r = await rate(async () => runtime.stats().consumed);
  await runtime.stop();
  const ends = await admin.listOffsets('events', 'latest');
  const expectedSum = ends.reduce((s, e) => s + (Number(e.offset) * (Number(e.offset) - 1)) / 2, 0);
  if (writes !== RECORDS || offsetSum !== expectedSum) {
    throw new Error(
      `the runtime's sink wrote ${writes} records (offset sum ${offsetSum}), expected ${RECORDS} (${expectedSum})`,
    );
  }
  return r;
}

async function engine(processes: number): Promise<{ rate: number; repeated: number }> {
  const group = `bench-engine-${processes}`;
  const runs = Array.from({ length: processes }, () =>
    start([
      CLI,
      'engine',
      'run',
      join(here, 'kafka-job.ts'),
      '--brokers',
      bootstrap,
      '--group',
      group,
      '--report-interval',
      '0',
      '--param',
      'input=events',
      '--param',
      `output=out-${processes}`,
    ]),
  );
  const urls = await Promise.all(
    runs.map(async (r) => /status at (http:\/\/\S+)\/status/.exec(await r.line)![1]),
  );
  const handled = async () => {
    const all = await Promise.all(
      urls.map(async (u) => ((await (await fetch(`${u}/status`)).json()) as EngineStatus).sources),
    );
    return all.flat().reduce((s, src) => s + src.handled, 0);
  };
  const r = await rate(handled);
  await Promise.all(
    runs.map(
      (x) =>
        new Promise<void>((resolve) => {
          x.child.once('exit', () => resolve());
          x.child.kill('SIGTERM');
        }),
    ),
  );
  return { rate: r, repeated: await checkOutput(`out-${processes}`) };
}

try {
  const rows: [string, number][] = [];
  rows.push(['consumer runtime alone (no-op sink)', await consumerRuntime()]);
  const repeats: string[] = [];
  for (const processes of [1, 2]) {
    const { rate: r, repeated } = await engine(processes);
    rows.push([`engine job, ${processes} process${processes === 1 ? '' : 'es'}`, r]);
    repeats.push(`${processes}: ${repeated}`);
  }
  const base = rows[0][1];
  console.log(
    `${RECORDS} records of ~45 bytes, ${PARTITIONS} partitions, embedded broker in a child process\n`,
  );
  console.log('| run                                 | records/s | vs consumer runtime |');
  console.log('| ----------------------------------- | --------: | ------------------: |');
  for (const [label, r] of rows) {
    console.log(
      `| ${label.padEnd(35)} | ${Math.round(r).toString().padStart(9)} | ${(r / base).toFixed(2).padStart(18)}x |`,
    );
  }
  console.log(
    `\nchecked: every input has a result; results repeated by a rebalance (processes: count) ${repeats.join(', ')}`,
  );
} finally {
  cluster.close();
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}
