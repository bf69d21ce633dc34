/**
 * What tracing costs: records/s through Sluice's producer and through the consumer runtime with tracing
 * off, on at 1% and on at 100%, against the embedded broker in a child process. Run with
 * `npm run bench:tracing`. Spans go to an exporter that counts and discards them (the SDK's work, not a
 * collector's network), checked against what each mode must have produced before a rate is reported.
 * Each cell is the best of two runs after a warm-up; read the ratios against "off".
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '../../src/client/admin.js';
import { Producer } from '../../src/client/producer.js';
import { createKafkaConsumer } from '../../src/consumer/create.js';
import { startTracing, type Tracing } from '../../src/tracing/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', join(here, '..', 'client', 'broker-child.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port: number = await new Promise((resolve, reject) => {
  child.once('error', reject);
  child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()).port));
});
const brokers = [`127.0.0.1:${port}`];
const RECORDS = Number(process.env.SLUICE_BENCH_RECORDS ?? 20_000);
const VALUE = Buffer.alloc(200, 'x');

/** Counts spans and drops them: the SDK's whole path, without a collector. */
class CountingExporter {
  spans = 0;
  export(spans: unknown[], done: (r: { code: number }) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

type Mode = { label: string; ratio: number | null };
const MODES: Mode[] = [
  { label: 'off', ratio: null },
  { label: 'on, 1% sampled', ratio: 0.01 },
  { label: 'on, 100% sampled', ratio: 1 },
];

let seq = 0;
const admin = new Admin({ brokers });
async function freshTopic(): Promise<string> {
  const topic = `tracing-bench-${process.pid}-${seq++}`;
  await admin.createTopics([{ topic, numPartitions: 4 }]);
  return topic;
}

async function tracingFor(mode: Mode, exporter: CountingExporter): Promise<Tracing | null> {
  if (mode.ratio === null) return null;
  return startTracing({
    serviceName: 'bench',
    sampleRatio: mode.ratio,
    exporters: [exporter],
    exportDelayMs: 200,
  });
}

async function produce(topic: string, tracing: Tracing | null): Promise<number> {
  const producer = new Producer({ brokers, tracer: tracing?.produceTracer(), lingerMs: 5 });
  await producer.connect();
  const started = performance.now();
  const deliveries: Promise<unknown>[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const a = await producer.produce({ topic, key: `k${i % 100}`, value: VALUE });
    if (a.status === 'queued') deliveries.push(a.delivery);
  }
  await Promise.all(deliveries);
  const rate = RECORDS / ((performance.now() - started) / 1000);
  await producer.close();
  if (deliveries.length !== RECORDS) throw new Error(`only ${deliveries.length} of ${RECORDS} queued`);
  return rate;
}

async function consume(topic: string, tracing: Tracing | null): Promise<number> {
  let started = 0;
  const runtime = createKafkaConsumer({
    brokers,
    groupId: `${topic}-group`,
    topics: [topic],
    autoOffsetReset: 'earliest',
    concurrency: 64,
    maxInFlight: 2000,
    ordering: 'none',
    deadLetter: false,
    sink: {
      name: 'noop',
      async write() {
        if (started === 0) started = performance.now();
      },
    },
    tracer: tracing?.recordTracer({ sinkName: 'noop' }),
  });
  await runtime.start();
  while (runtime.stats().consumed < RECORDS) await new Promise((r) => setTimeout(r, 5));
  const rate = RECORDS / ((performance.now() - started) / 1000);
  await runtime.stop();
  return rate;
}

/** One run of a mode: a fresh topic produced and consumed, and the spans each side must have made. */
async function run(mode: Mode): Promise<{ produce: number; consume: number }> {
  const exporter = new CountingExporter();
  const tracing = await tracingFor(mode, exporter);
  const topic = await freshTopic();
  const p = await produce(topic, tracing);
  const c = await consume(topic, tracing);
  await tracing?.shutdown();
  // Per sampled record: a send span, and process + broker wait + in flight + sink on the consumer.
  const expected = mode.ratio === null ? 0 : RECORDS * 5 * mode.ratio;
  if (mode.ratio === 1 && exporter.spans !== expected) {
    throw new Error(`100% sampling exported ${exporter.spans} spans, expected ${expected}`);
  }
  if (mode.ratio !== null && mode.ratio < 1 && Math.abs(exporter.spans - expected) > expected * 0.5 + 25) {
    throw new Error(
      `${mode.ratio * 100}% sampling exported ${exporter.spans} spans, expected about ${expected}`,
    );
  }
  return { produce: p, consume: c };
}

const best: Record<string, { produce: number; consume: number }> = {};
for (let round = 0; round < 3; round++) {
  for (const mode of MODES) {
    const r = await run(mode);
    if (round === 0) continue; // warm-up
    const b = best[mode.label] ?? { produce: 0, consume: 0 };
    best[mode.label] = { produce: Math.max(b.produce, r.produce), consume: Math.max(b.consume, r.consume) };
  }
}
await admin.close();
child.kill('SIGTERM');

const off = best.off;
const pad = (s: string, n: number) => s.padEnd(n);
console.log(`tracing cost: ${RECORDS} records of ${VALUE.length} B, 4 partitions, records/s (ratio to off)`);
console.log(`${pad('tracing', 20)}${pad('produce', 22)}consume (runtime, no-op sink)`);
for (const mode of MODES) {
  const b = best[mode.label];
  const cell = (v: number, base: number) =>
    `${Math.round(v).toLocaleString('en-US')} (${(v / base).toFixed(2)})`;
  console.log(
    `${pad(mode.label, 20)}${pad(cell(b.produce, off.produce), 22)}${cell(b.consume, off.consume)}`,
  );
}
