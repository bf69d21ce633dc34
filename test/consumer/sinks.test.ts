import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpSink, HttpSinkError } from '../../src/consumer/sinks/http.js';
import { PostgresSink } from '../../src/consumer/sinks/postgres.js';
import { SimulatedSink } from '../../src/consumer/sinks/simulated.js';
import { StdoutSink } from '../../src/consumer/sinks/stdout.js';
import type { ConsumerRecord } from '../../src/consumer/types.js';
import { VirtualClock } from '../../src/flow/clock.js';
import { ensurePostgres, PG_CONFIG } from './postgres.js';

const rec = (offset: number, value: string, key: string | null = 'k'): ConsumerRecord => ({
  topic: 't',
  partition: 0,
  offset: BigInt(offset),
  timestamp: 0,
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from(value),
  headers: [],
});
const ctx = () => ({ attempt: 1, signal: new AbortController().signal });

describe('SimulatedSink', () => {
  it('takes processing_time_ms per write: the lab default 500 ms is 2 msg/s per worker', async () => {
    const clock = new VirtualClock(0);
    const sink = new SimulatedSink({ clock });
    expect(sink.maxPerSecondPerWorker).toBe(2);
    let done = 0;
    const run = async () => {
      for (let i = 0; i < 10; i++) {
        await sink.write(rec(i, 'v'), ctx());
        done++;
      }
    };
    const p = run();
    await clock.advance(1000);
    expect(done).toBe(2);
    sink.processingTimeMs = 50; // the lab's POST /fast?time_ms=50
    await clock.advance(1000);
    await p;
    expect(done).toBe(10);
  });

  it('caps throughput with maxRatePerSec across concurrent writes, and injects failures', async () => {
    const clock = new VirtualClock(0);
    const sink = new SimulatedSink({
      clock,
      processingTimeMs: 0,
      maxRatePerSec: 100,
      failWhen: (r) => r.offset === 3n,
    });
    let ok = 0;
    let failed = 0;
    const writes = Array.from({ length: 300 }, (_, i) =>
      sink.write(rec(i, 'v'), ctx()).then(
        () => ok++,
        () => failed++,
      ),
    );
    await clock.advance(1000);
    // A burst of 5 plus 100/s.
    expect(ok + failed).toBeGreaterThanOrEqual(100);
    expect(ok + failed).toBeLessThanOrEqual(110);
    await clock.advance(3000);
    await Promise.all(writes);
    expect(failed).toBe(1);
    expect(sink.counts.maxActive).toBeGreaterThan(100);
  });
});

describe('HttpSink', () => {
  let server: Server;
  let url: string;
  const bodies: unknown[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const parsed = JSON.parse(body);
        bodies.push(parsed);
        const status = parsed.value === 'overloaded' ? 503 : parsed.value === 'invalid' ? 400 : 204;
        res.writeHead(status).end(status === 204 ? '' : 'no');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('posts the record as JSON; 5xx is retriable, 4xx is not', async () => {
    const sink = new HttpSink({ url });
    await sink.write(rec(7, 'hello'), ctx());
    expect(bodies.at(-1)).toMatchObject({ topic: 't', partition: 0, offset: '7', key: 'k', value: 'hello' });
    const e503 = await sink.write(rec(8, 'overloaded'), ctx()).catch((e) => e);
    expect(e503).toBeInstanceOf(HttpSinkError);
    expect(e503.retriable).toBe(true);
    const e400 = await sink.write(rec(9, 'invalid'), ctx()).catch((e) => e);
    expect(e400.status).toBe(400);
    expect(e400.retriable).toBe(false);
  });

  it('rejects a URL that is not http(s)', () => {
    expect(() => new HttpSink({ url: 'ftp://x' })).toThrow(/absolute http\(s\) URL/);
  });
});

describe('StdoutSink', () => {
  it('resolves a write only once the stream accepted it, so a slow stream slows the consumer', async () => {
    const chunks: string[] = [];
    let release: (() => void) | null = null;
    const stream = new Writable({
      highWaterMark: 16,
      write(chunk, _enc, cb) {
        chunks.push(chunk.toString());
        release = cb;
      },
    });
    const sink = new StdoutSink({ stream });
    let settled = false;
    const p = sink.write(rec(1, 'x'.repeat(40))).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    (release as unknown as () => void)();
    await p;
    expect(JSON.parse(chunks[0])).toMatchObject({ offset: '1', value: 'x'.repeat(40) });
  });
});

describe('PostgresSink', () => {
  let problem: string | null = null;
  let db: pg.Client | undefined;
  const table = `sink_test_${process.pid}_${Date.now().toString(36)}`;
  beforeAll(async () => {
    problem = await ensurePostgres();
    if (problem) {
      if (process.env.CI) throw new Error(`CI: ${problem}`);
      console.warn(`\n!!! SKIPPING PostgresSink tests: ${problem}\n`);
      return;
    }
    db = new pg.Client(PG_CONFIG);
    await db.connect();
    await db.query(
      `CREATE TABLE ${table} (id text PRIMARY KEY, status text, seq int NOT NULL, deliveries int NOT NULL)`,
    );
  });
  afterAll(async () => {
    await db?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await db?.end();
  });

  it('upserts idempotently, counts redeliveries, and never lets an older event roll a row back', async (c) => {
    if (problem) return c.skip();
    const sink = new PostgresSink({
      connection: PG_CONFIG,
      table,
      conflictColumns: ['id'],
      versionColumn: 'seq',
      deliveriesColumn: 'deliveries',
      toRow: (r) => JSON.parse(r.value!.toString()),
    });
    await sink.write(rec(0, JSON.stringify({ id: 'B1', status: 'booked', seq: 1 })), ctx());
    await sink.write(rec(1, JSON.stringify({ id: 'B1', status: 'checked-in', seq: 2 })), ctx());
    // Redelivery of the first event after a crash: same row, status kept.
    await sink.write(rec(0, JSON.stringify({ id: 'B1', status: 'booked', seq: 1 })), ctx());
    await sink.write(rec(1, JSON.stringify({ id: 'B1', status: 'checked-in', seq: 2 })), ctx());
    await sink.close();
    const { rows } = await db!.query(`SELECT id, status, seq, deliveries FROM ${table}`);
    expect(rows).toEqual([{ id: 'B1', status: 'checked-in', seq: 2, deliveries: 3 }]);
  });

  it('refuses identifiers that are not plain SQL names', () => {
    expect(
      () =>
        new PostgresSink({
          connection: PG_CONFIG,
          table: 'x; drop table y',
          conflictColumns: ['id'],
          toRow: () => ({}),
        }),
    ).toThrow(/plain SQL identifier/);
  });
});
