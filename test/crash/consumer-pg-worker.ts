/**
 * The manifest projector of the lesson, as a child process the crash test can kill -9: consumes
 * booking events from the embedded broker and upserts them into PostgreSQL through a sink limited to
 * ~600 upserts/s. Prints a JSON stats line every 100 ms.
 * Usage: consumer-pg-worker.ts <bootstrap> <topic> <groupId> <table>
 */
import { createKafkaConsumer } from '../../src/consumer/create.js';
import { PostgresSink } from '../../src/consumer/sinks/postgres.js';
import { PG_CONFIG } from '../consumer/postgres.js';

const [bootstrap, topic, groupId, table] = process.argv.slice(2);
const MAX_IN_FLIGHT = 300;

const sink = new PostgresSink({
  connection: { ...PG_CONFIG, max: 8 },
  table,
  conflictColumns: ['booking_id'],
  versionColumn: 'seq',
  deliveriesColumn: 'deliveries',
  maxRatePerSec: 600,
  toRow: (r) => {
    const e = JSON.parse(r.value!.toString());
    return {
      booking_id: e.booking_id,
      passenger: e.passenger,
      status: e.status,
      seq: e.seq,
      source_offset: r.offset.toString(),
    };
  },
});

const runtime = createKafkaConsumer({
  brokers: [bootstrap],
  groupId,
  topics: [topic],
  sink,
  ordering: 'key',
  concurrency: 8,
  maxInFlight: MAX_IN_FLIGHT,
  maxInFlightBytes: 1 << 20,
  commitIntervalMs: 500,
  sessionTimeoutMs: 6000,
  rebalanceTimeoutMs: 6000,
  heartbeatIntervalMs: 500,
  deadLetter: false,
});
runtime.on('fetchError', (e) => process.stderr.write(`fetch error: ${e}\n`));

await runtime.start();
const report = () => {
  const s = runtime.stats();
  process.stdout.write(
    `${JSON.stringify({
      rss: process.memoryUsage().rss,
      inFlight: s.inFlightRecords,
      peak: s.peakInFlightRecords,
      maxInFlight: s.maxInFlight,
      consumed: s.consumed,
      commits: s.commits,
      fetchState: s.fetchState,
    })}\n`,
  );
};
setInterval(report, 100);
process.on('SIGTERM', async () => {
  await runtime.stop();
  report();
  process.exit(0);
});
