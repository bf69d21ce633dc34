/**
 * Client throughput: produce and consume records/s for Sluice's client beside kafkajs 2.2.4 and
 * @platformatic/kafka 1.x, against the embedded broker running in a child process. Run with
 * `npm run bench:client`. Each cell is one measured run after a warm-up; read the ratios.
 *
 * Produce "batch of N": the caller awaits one send of N records at a time (acks=-1), N = 1 or 100.
 * Consume: a topic written in batches of N is read from the beginning; the clock starts at the first
 * fetch (for kafkajs: when its group join completes, so join time is not counted) and stops at the
 * last record. Every client is warmed up on the same shape first, and each cell is the best of two
 * interleaved runs, because the machine is shared and noisy. Before a rate is kept, the bench checks
 * it: after a produce, the partition's end offset must equal the records sent; a consumer must have
 * read exactly the records written, with the bytes of their values adding up.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { Producer } from '../../src/client/producer.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const plt = await import('@platformatic/kafka');

const here = dirname(fileURLToPath(import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'broker-child.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port: number = await new Promise((resolve, reject) => {
  child.once('error', reject);
  child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()).port));
});
const bootstrap = `127.0.0.1:${port}`;
const now = () => performance.now();

interface Cell {
  sluice: number;
  kafkajs: number;
  /** NaN when the client cannot do this against the embedded broker (reason printed). */
  platformatic: number;
}

const SIZES = [100, 1024];
const BATCHES = [1, 100];
const totalFor = (batch: number, size: number) => (batch === 1 ? 3000 : size === 100 ? 60_000 : 30_000);
const consumeTotalFor = (batch: number, size: number) =>
  batch === 1 ? (size === 100 ? 60_000 : 40_000) : size === 100 ? 200_000 : 100_000;
const ROUNDS = 4; // round 0 warms up; the cell is the best of the other three

let topicSeq = 0;
const cluster = new Cluster({ brokers: [bootstrap], clientId: 'bench-admin' });
const admin = new Admin({ cluster });
await admin.connect();
async function freshTopic(): Promise<string> {
  const topic = `bench-${process.pid}-${topicSeq++}`;
  await admin.createTopics([{ topic, numPartitions: 1 }]);
  return topic;
}

/** Throws unless the topic's only partition ends at `expected` (the warm-up send included). */
async function checkStored(topic: string, expected: number, who: string): Promise<void> {
  const [end] = await admin.listOffsets(topic, 'latest');
  if (end?.offset !== BigInt(expected)) {
    throw new Error(`${who} produce: ${topic} ends at ${end?.offset}, expected ${expected} records`);
  }
}

/** Throws unless a consumer read exactly `total` records of `size` bytes each. */
function checkRead(who: string, seen: number, bytes: number, total: number, size: number): void {
  if (seen !== total || bytes !== total * size) {
    throw new Error(
      `${who} consume: read ${seen} records / ${bytes} bytes, expected ${total} / ${total * size}`,
    );
  }
}

async function produceSluice(topic: string, size: number, batch: number, total: number): Promise<number> {
  const producer = new Producer({
    brokers: [bootstrap],
    clientId: 'bench-sluice',
    lingerMs: 0,
    batchBytes: 1 << 20,
  });
  await producer.connect();
  const value = Buffer.alloc(size, 120);
  const messages = Array.from({ length: batch }, () => ({ topic, partition: 0, value }));
  await producer.send(messages);
  const start = now();
  for (let sent = 0; sent < total; sent += batch) await producer.send(messages);
  const elapsed = now() - start;
  await producer.close();
  return (total / elapsed) * 1000;
}

async function produceKafkajs(topic: string, size: number, batch: number, total: number): Promise<number> {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'bench-kafkajs', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const value = Buffer.alloc(size, 120);
  const messages = Array.from({ length: batch }, () => ({ value, partition: 0 }));
  await producer.send({ topic, messages });
  const start = now();
  for (let sent = 0; sent < total; sent += batch) await producer.send({ topic, acks: -1, messages });
  const elapsed = now() - start;
  await producer.disconnect();
  return (total / elapsed) * 1000;
}

async function producePlatformatic(
  topic: string,
  size: number,
  batch: number,
  total: number,
): Promise<number> {
  const producer = new plt.Producer({ clientId: 'bench-plt', bootstrapBrokers: [bootstrap], acks: -1 });
  const value = Buffer.alloc(size, 120);
  const messages = Array.from({ length: batch }, () => ({ topic, partition: 0, value }));
  await producer.send({ messages });
  const start = now();
  for (let sent = 0; sent < total; sent += batch) await producer.send({ messages });
  const elapsed = now() - start;
  await producer.close();
  return (total / elapsed) * 1000;
}

type Produce = (topic: string, size: number, batch: number, total: number) => Promise<number>;

/** One produce run on a fresh topic, its rate kept only once the topic holds every record sent. */
async function producedAndStored(
  produce: Produce,
  who: string,
  size: number,
  batch: number,
  total: number,
): Promise<number> {
  const topic = await freshTopic();
  const rate = await produce(topic, size, batch, total);
  // Each produce function sends one unmeasured warm-up batch, then whole batches until `total` is reached.
  await checkStored(topic, Math.ceil(total / batch) * batch + batch, who);
  return rate;
}

async function fill(topic: string, size: number, batch: number, total: number): Promise<void> {
  const producer = new Producer({
    brokers: [bootstrap],
    clientId: 'bench-fill',
    lingerMs: 0,
    batchBytes: 1 << 20,
  });
  const value = Buffer.alloc(size, 121);
  const messages = Array.from({ length: batch }, () => ({ topic, partition: 0, value }));
  const inFlight: Promise<unknown>[] = [];
  for (let sent = 0; sent < total; sent += batch) {
    inFlight.push(producer.send(messages));
    if (inFlight.length >= 64) await Promise.all(inFlight.splice(0));
  }
  await Promise.all(inFlight);
  await producer.close();
}

async function consumeSluice(topic: string, total: number, size: number): Promise<number> {
  const consumer = new ConsumerClient({ brokers: [bootstrap], clientId: 'bench-sluice-c' });
  consumer.assign([{ topic, partition: 0, offset: 0n }]);
  let seen = 0;
  let bytes = 0;
  const start = now();
  while (seen < total) {
    const got = await consumer.poll({ maxBytes: 4 << 20, maxWaitMs: 100 });
    for (const p of got) {
      seen += p.records.length;
      for (const r of p.records) bytes += r.value?.length ?? 0;
    }
  }
  const elapsed = now() - start;
  consumer.close();
  checkRead('sluice', seen, bytes, total, size);
  return (total / elapsed) * 1000;
}

async function consumeKafkajs(topic: string, total: number, size: number): Promise<number> {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'bench-kafkajs-c', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `kjs-${topic}`,
    maxBytes: 4 << 20,
    maxBytesPerPartition: 4 << 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let bytes = 0;
  let start = 0;
  let end = 0;
  // The clock starts when the group join completes, just before kafkajs's first fetch.
  consumer.on(consumer.events.GROUP_JOIN, () => {
    start = now();
  });
  await new Promise<void>((resolve) => {
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }: { batch: { messages: { value: Buffer | null }[] } }) => {
        seen += batch.messages.length;
        for (const m of batch.messages) bytes += m.value?.length ?? 0;
        if (seen >= total) {
          end = now();
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  checkRead('kafkajs', seen, bytes, total, size);
  return (total / (end - start)) * 1000;
}

async function consumePlatformatic(topic: string, total: number, size: number): Promise<number> {
  const consumer = new plt.Consumer({
    groupId: `plt-${topic}-${topicSeq++}`,
    clientId: 'bench-plt-c',
    bootstrapBrokers: [bootstrap],
    maxBytes: 4 << 20,
  });
  consumer.on('error', () => {});
  let stream: Awaited<ReturnType<typeof consumer.consume>>;
  try {
    stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  } catch (err) {
    await Promise.resolve(consumer.close(true)).catch(() => {});
    throw err;
  }
  let seen = 0;
  let bytes = 0;
  let start = 0;
  let end = 0;
  await new Promise<void>((resolve) => {
    stream.on('data', (message: { value?: Buffer | null }) => {
      if (start === 0) start = now();
      bytes += message.value?.length ?? 0;
      if (++seen === total) {
        end = now();
        resolve();
      }
    });
  });
  await stream.close();
  await consumer.close();
  checkRead('platformatic', seen, bytes, total, size);
  return (total / (end - start)) * 1000;
}

const rows: string[] = [];
const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ratio = (a: number, b: number) => (Number.isFinite(b) ? `${(a / b).toFixed(2)}x` : 'n/a');
const notes = new Set<string>();
async function attempt(fn: () => Promise<number>, who: string): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    notes.add(`${who}: ${(err as Error).message}`);
    return Number.NaN;
  }
}
function row(what: string, c: Cell) {
  rows.push(
    `| ${what} | ${fmt(c.sluice)} | ${fmt(c.kafkajs)} | ${fmt(c.platformatic)} | ${ratio(c.sluice, c.kafkajs)} | ${ratio(c.sluice, c.platformatic)} |`,
  );
  console.log(rows[rows.length - 1]);
}

try {
  console.log(
    `client benchmark against the embedded broker (child process, memory durability), node ${process.version}`,
  );
  console.log(
    '| case | sluice rec/s | kafkajs rec/s | platformatic rec/s | sluice/kafkajs | sluice/platformatic |',
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const size of SIZES) {
    for (const batch of BATCHES) {
      const total = totalFor(batch, size);
      const c: Cell = { sluice: 0, kafkajs: 0, platformatic: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        // Round 0 is the warm-up: same shape, a tenth of the records, not counted.
        const n = round === 0 ? Math.max(batch * 10, total / 10) : total;
        const s = await producedAndStored(produceSluice, 'sluice', size, batch, n);
        const k = await producedAndStored(produceKafkajs, 'kafkajs', size, batch, n);
        const p = await attempt(
          () => producedAndStored(producePlatformatic, 'platformatic', size, batch, n),
          'platformatic producer',
        );
        if (round === 0) continue;
        c.sluice = Math.max(c.sluice, s);
        c.kafkajs = Math.max(c.kafkajs, k);
        c.platformatic = Number.isNaN(p) ? p : Math.max(c.platformatic, p);
      }
      row(`produce ${size} B, batch of ${batch} (${fmt(total)} records)`, c);
    }
  }
  for (const size of SIZES) {
    for (const batch of BATCHES) {
      const total = consumeTotalFor(batch, size);
      const topic = await freshTopic();
      await fill(topic, size, batch, total);
      const c: Cell = { sluice: 0, kafkajs: 0, platformatic: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        // Every client reads the same topic from the start; round 0 warms up and is not counted.
        const s = await consumeSluice(topic, total, size);
        const k = await consumeKafkajs(topic, total, size);
        const p = await attempt(() => consumePlatformatic(topic, total, size), 'platformatic consumer');
        if (round === 0) continue;
        c.sluice = Math.max(c.sluice, s);
        c.kafkajs = Math.max(c.kafkajs, k);
        c.platformatic = Number.isNaN(p) ? p : Math.max(c.platformatic, p);
      }
      row(`consume ${size} B, written in batches of ${batch} (${fmt(total)} records)`, c);
    }
  }
  for (const n of notes) console.log(`note: ${n}`);
} finally {
  admin.close();
  child.kill('SIGTERM');
}
