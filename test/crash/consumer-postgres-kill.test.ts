/**
 * The lesson's scenario (Harbor Point's manifest projector) against the real PostgreSQL of this machine:
 * 3,000 booking events/s arrive for 5 s while the sink manages ~600 upserts/s. The consumer child
 * process holds at most maxInFlight records (lag builds in the broker), is killed with SIGKILL mid-run
 * and restarted; in the end every booking is present exactly once (at-least-once delivery, idempotent
 * upserts), and the redeliveries the kill caused are visible in the `deliveries` column.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { Producer } from '../../src/client/producer.js';
import { ensurePostgres, PG_CONFIG } from '../consumer/postgres.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const worker = path.join(import.meta.dirname, 'consumer-pg-worker.ts');
const ARRIVAL_RATE = 3000;
// SLUICE_PG_ARRIVAL_SECONDS=60 (npm run bench:consumer:pg) runs the same scenario for longer.
const ARRIVAL_SECONDS = Number(process.env.SLUICE_PG_ARRIVAL_SECONDS ?? 5);
const EVENTS = ARRIVAL_RATE * ARRIVAL_SECONDS;

interface Sample {
  rss: number;
  inFlight: number;
  peak: number;
  maxInFlight: number;
  consumed: number;
  fetchState: string;
}

const children = new Set<ChildProcess>();
let pgProblem: string | null = null;
let broker: TestBroker | undefined;
let cluster: Cluster | undefined;
let db: pg.Client | undefined;
const table = `passenger_manifest_${process.pid}_${Date.now().toString(36)}`;

beforeAll(async () => {
  pgProblem = await ensurePostgres();
  if (pgProblem) {
    if (process.env.CI) throw new Error(`CI: ${pgProblem}`);
    console.warn(`\n!!! SKIPPING the PostgreSQL consumer crash test: ${pgProblem}\n`);
    return;
  }
  db = new pg.Client(PG_CONFIG);
  await db.connect();
  await db.query(
    `CREATE TABLE ${table} (booking_id text PRIMARY KEY, passenger text NOT NULL, status text NOT NULL,
       seq integer NOT NULL, source_offset bigint NOT NULL, deliveries integer NOT NULL)`,
  );
  broker = await startTestBroker({ durability: 'memory' });
  cluster = new Cluster({ brokers: [broker.bootstrap], clientId: 'pg-crash-test' });
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  if (db) {
    await db.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await db.end();
  }
  cluster?.close();
  await broker?.stop();
});

function startWorker(topic: string, groupId: string, samples: Sample[]): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', worker, broker!.bootstrap, topic, groupId, table],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  child.on('exit', () => children.delete(child));
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      samples.push(JSON.parse(pending.slice(0, nl)));
      pending = pending.slice(nl + 1);
    }
  });
  child.stderr!.on('data', (d) => process.stderr.write(`[worker] ${d}`));
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await sleep(100);
  }
}

describe('manifest projector: 3,000 events/s into a 600 upserts/s PostgreSQL sink, kill -9, restart', () => {
  it(
    'keeps memory bounded, builds lag in the broker, and ends with every booking exactly once',
    async (ctx) => {
      if (pgProblem) return ctx.skip();
      const topic = 'booking-events';
      const groupId = 'manifest-projector';
      const admin = new Admin({ cluster: cluster! });
      await admin.createTopics([{ topic, numPartitions: 6 }]);

      const first: Sample[] = [];
      const child1 = startWorker(topic, groupId, first);
      await until(() => first.length > 0, 20_000);

      // Arrivals: 30 events every 10 ms, paced on wall time, for ARRIVAL_SECONDS.
      const producer = new Producer({ cluster: cluster!, lingerMs: 5 });
      const started = Date.now();
      let sent = 0;
      let maxLag = 0n;
      const deliveries: Promise<unknown>[] = [];
      while (sent < EVENTS) {
        const due = Math.min(EVENTS, Math.floor(((Date.now() - started) / 1000) * ARRIVAL_RATE) + 30);
        const batch = [];
        for (; sent < due; sent++) {
          const booking = `B${String(sent).padStart(6, '0')}`;
          batch.push({
            topic,
            key: booking,
            value: JSON.stringify({
              booking_id: booking,
              passenger: `guest-${sent}`,
              status: 'checked-in',
              seq: 1,
            }),
          });
        }
        if (batch.length > 0) deliveries.push(producer.send(batch));
        await sleep(10);
      }
      await Promise.all(deliveries);
      await producer.flush();
      const arrivalMs = Date.now() - started;

      const lagNow = async () => {
        const end = await admin.listOffsets(topic, 'latest');
        const committed = await admin.fetchOffsets(groupId, [
          { topic, partitions: end.map((e) => e.partition) },
        ]);
        let total = 0n;
        for (const e of end) {
          const c = committed.find((x) => x.partition === e.partition)?.offset ?? -1n;
          total += e.offset - (c < 0n ? 0n : c);
        }
        if (total > maxLag) maxLag = total;
        return total;
      };
      await lagNow();

      // Mid-run: the sink has done a few thousand, most of the events are still lag in the broker.
      const killAt = Math.max(2000, Math.floor(EVENTS / 5));
      await until(() => (first.at(-1)?.consumed ?? 0) >= killAt, 20_000 + killAt * 5);
      child1.kill('SIGKILL');
      await new Promise((r) => child1.once('exit', r));
      const rowsAtKill = Number((await db!.query(`SELECT count(*) FROM ${table}`)).rows[0].count);

      const second: Sample[] = [];
      const child2 = startWorker(topic, groupId, second);
      await until(async () => (await lagNow()) === 0n, 60_000 + EVENTS * 3);
      child2.kill('SIGTERM');
      await new Promise((r) => child2.once('exit', r));

      const { rows } = await db!.query(
        `SELECT count(*)::int AS rows, count(DISTINCT booking_id)::int AS bookings, sum(deliveries)::int AS writes,
              count(*) FILTER (WHERE deliveries > 1)::int AS redelivered FROM ${table}`,
      );
      const r = rows[0];
      const all = [...first, ...second];
      const maxRss = Math.max(...all.map((s) => s.rss));
      console.log(
        `[pg crash] ${EVENTS} events in ${arrivalMs} ms; rows at kill ${rowsAtKill}; max lag in broker ${maxLag}; ` +
          `peak in flight ${Math.max(...all.map((s) => s.peak))}/${all[0].maxInFlight}; max RSS ${(maxRss / 2 ** 20).toFixed(0)} MiB; ` +
          `rows ${r.rows}, writes ${r.writes}, redelivered after the kill ${r.redelivered}`,
      );
      // No event lost, none twice.
      expect(r.rows).toBe(EVENTS);
      expect(r.bookings).toBe(EVENTS);
      // At-least-once: the kill made the restarted consumer redo what it had written but not committed.
      expect(r.writes).toBeGreaterThanOrEqual(EVENTS);
      // Memory bounded: never more than maxInFlight records held, RSS well below what buffering would take.
      for (const s of all) expect(s.inFlight).toBeLessThanOrEqual(s.maxInFlight);
      expect(maxRss).toBeLessThan(300 * 2 ** 20);
      // The backlog lived in the broker.
      expect(maxLag).toBeGreaterThan(BigInt(EVENTS / 2));
    },
    120_000 + EVENTS * 6,
  );
});
