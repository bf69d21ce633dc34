/**
 * One consumer in its own process (so its RSS is its own), reporting once a second.
 * Usage: consumer-child.ts <naive|sluice> <bootstrap> <topic> <groupId> <sinkRatePerSec>
 *
 * naive: the incident's consumer. poll(1000)-style fetches as fast as the broker answers, every record
 *   handed to `processAsync` and forgotten (an unbounded in-memory queue worked by 50 workers), offsets
 *   auto-committed as polled. The broker's lag looks small; the heap holds the backlog.
 * sluice: the consumer runtime with maxInFlight 1000, commit after the sink. The heap holds at most
 *   1000 records; the backlog stays in the broker.
 */
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import type { FetchedRecord } from '../../src/client/fetcher.js';
import { createKafkaConsumer } from '../../src/consumer/create.js';
import { SimulatedSink } from '../../src/consumer/sinks/simulated.js';

const [mode, bootstrap, topic, groupId, rateArg] = process.argv.slice(2);
const sinkRate = Number(rateArg);
const sink = new SimulatedSink({ processingTimeMs: 0, maxRatePerSec: sinkRate > 0 ? sinkRate : undefined });
const started = Date.now();
let held = () => 0;
let peak = () => 0;
let consumed = () => sink.counts.succeeded;

function report(extra: Record<string, unknown> = {}) {
  const m = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({ t: (Date.now() - started) / 1000, rss: m.rss, heap: m.heapUsed, held: held(), peak: peak(), consumed: consumed(), ...extra })}\n`,
  );
}
setInterval(report, 1000);

if (mode === 'naive') {
  const cluster = new Cluster({ brokers: [bootstrap], clientId: 'naive' });
  const client = new ConsumerClient({ cluster, groupId, autoOffsetReset: 'earliest' });
  const meta = await cluster.topic(topic);
  client.assign(meta.partitions.map((p) => ({ topic, partition: p.partition })));
  const queue: FetchedRecord[] = [];
  let head = 0;
  let most = 0;
  held = () => queue.length - head;
  peak = () => (most = Math.max(most, held()));
  const controller = new AbortController();
  // processAsync: returns at once; 50 workers drain the queue at the sink's pace.
  const processAsync = (records: FetchedRecord[]) => {
    for (const r of records) queue.push(r);
  };
  for (let w = 0; w < 50; w++) {
    void (async () => {
      for (;;) {
        if (head >= queue.length) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        const r = queue[head];
        (queue as (FetchedRecord | undefined)[])[head++] = undefined;
        await sink.write(r, { attempt: 1, signal: controller.signal });
      }
    })();
  }
  // Auto-commit what was polled, every 5 s, as enable.auto.commit does.
  setInterval(() => {
    const offsets = client
      .assignment()
      .map((p) => ({ ...p, offset: client.position(p.topic, p.partition) }))
      .filter((p): p is { topic: string; partition: number; offset: bigint } => p.offset !== null);
    void client.commit(offsets).catch(() => {});
  }, 5000);
  for (;;) {
    const batch = await client.poll({ maxBytes: 1 << 20, partitionMaxBytes: 1 << 20, maxWaitMs: 500 });
    processAsync(batch.flatMap((p) => p.records));
  }
} else {
  const runtime = createKafkaConsumer({
    brokers: [bootstrap],
    groupId,
    topics: [topic],
    sink,
    ordering: 'key',
    concurrency: 64,
    maxInFlight: 1000,
    maxInFlightBytes: 4 << 20,
    commitIntervalMs: 1000,
    deadLetter: false,
  });
  held = () => runtime.stats().inFlightRecords;
  peak = () => runtime.stats().peakInFlightRecords;
  consumed = () => runtime.stats().consumed;
  await runtime.start();
  process.on('SIGTERM', async () => {
    await runtime.stop();
    process.exit(0);
  });
}
