/**
 * Committing consumer offsets: Sluice's OffsetCommit (through the wire, into `__consumer_offsets`) beside
 * the stores people use for offsets when they keep them outside Kafka, measured in the same run.
 *
 *   npm run bench:groups      (BENCH_COMMITS=5000 per case, BENCH_IN_FLIGHT=8)
 *
 * Each commit stores one (group, topic, partition) -> offset, with BENCH_IN_FLIGHT commits outstanding.
 * Ours: one connection, OffsetCommit v2 pipelined, acknowledged after the append at the broker's
 * durability level (memory, async, sync = fsync before the answer). Peers: PostgreSQL upsert on
 * 127.0.0.1:5432 (synchronous_commit on: durable like `sync`; BENCH_IN_FLIGHT connections) and Redis
 * HSET on a private redis-server the bench starts (no persistence; pipelined on one connection). A peer
 * that cannot be reached or started is reported as missing. Ratios are ours / peer (higher is better).
 * Before a rate is printed, the stored offsets are read back: OffsetFetch and HGETALL must give each
 * partition its last commit (one connection each, answered in order); PostgreSQL's pool may finish a
 * partition's last commits out of order, so there each partition must hold one of its commits still in
 * flight at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { Broker } from '../../src/broker/broker.js';
import type { Durability } from '../../src/broker/config.js';
import { FrameReader } from '../../src/broker/framing.js';
import { decodeResponse, encodeRequest } from '../../src/protocol/messages.js';
import { cleanupAll, startRedis } from '../broker/servers.js';

const COMMITS = Number(process.env.BENCH_COMMITS ?? 5000);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 8);
const PARTITIONS = 6;

/** The offset each partition was given last, when commits 0..COMMITS-1 go to partition i % PARTITIONS. */
function lastCommitOf(partition: number): number {
  return COMMITS - 1 - ((COMMITS - 1 - partition) % PARTITIONS);
}

/** Throws unless `stored` maps every partition to its last commit (or, with `slack`, one within it). */
function checkStored(who: string, stored: Map<number, number>, slack = 0): void {
  for (let p = 0; p < PARTITIONS; p++) {
    const got = stored.get(p);
    const last = lastCommitOf(p);
    if (got === undefined || got > last || got < last - slack * PARTITIONS) {
      throw new Error(`${who}: partition ${p} holds offset ${got}, expected ${slack ? 'about ' : ''}${last}`);
    }
  }
}

/** Runs `total` operations with `inFlight` outstanding; returns operations per second. */
async function pipelined(total: number, inFlight: number, op: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) await op(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (total / (performance.now() - started)) * 1000;
}

/** A Kafka connection that matches responses to requests by correlation id. */
class WireClient {
  private readonly waiting = new Map<number, (frame: Buffer) => void>();
  private readonly reader = new FrameReader(1 << 24);

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      for (let f = this.reader.next(); f; f = this.reader.next()) {
        const id = f.readInt32BE(0);
        this.waiting.get(id)?.(f);
        this.waiting.delete(id);
      }
    });
  }

  static open(port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection({ port, host: '127.0.0.1' }, () => resolve(new WireClient(s)));
      s.once('error', reject);
    });
  }

  request(id: number, bytes: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

async function sluice(durability: Durability): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-groups-'));
  const broker = new Broker(
    { host: '127.0.0.1', port: 0, dataDir, durability },
    { logger: pino({ level: 'silent' }) },
  );
  try {
    const { port } = await broker.start();
    await broker.store.createTopic('bench', PARTITIONS, {});
    const client = await WireClient.open(port);
    const rate = await pipelined(COMMITS, IN_FLIGHT, async (i) => {
      const frame = await client.request(
        i,
        encodeRequest(8, 2, i, 'bench', {
          groupId: 'bench-group',
          generationIdOrMemberEpoch: -1,
          memberId: '',
          retentionTimeMs: -1n,
          topics: [
            {
              name: 'bench',
              partitions: [
                { partitionIndex: i % PARTITIONS, committedOffset: BigInt(i), committedMetadata: '' },
              ],
            },
          ],
        }),
      );
      const code = decodeResponse(8, 2, frame).body.topics[0].partitions[0].errorCode;
      if (code !== 0) throw new Error(`OffsetCommit failed with error ${code}`);
    });
    const fetched = await client.request(
      COMMITS,
      encodeRequest(9, 2, COMMITS, 'bench', {
        groupId: 'bench-group',
        topics: [{ name: 'bench', partitionIndexes: [...Array(PARTITIONS).keys()] }],
      }),
    );
    const partitions = decodeResponse(9, 2, fetched).body.topics?.[0]?.partitions ?? [];
    checkStored(
      `Sluice (${durability})`,
      new Map(partitions.map((p) => [p.partitionIndex, Number(p.committedOffset)])),
    );
    client.close();
    return rate;
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function postgres(): Promise<number | string> {
  const pool = new pg.Pool({
    host: '127.0.0.1',
    port: 5432,
    database: 'test',
    user: 'postgres',
    max: IN_FLIGHT,
  });
  try {
    await pool.query(
      'CREATE TABLE IF NOT EXISTS sluice_bench_offsets (grp text, topic text, part int, off bigint, PRIMARY KEY (grp, topic, part))',
    );
    const rate = await pipelined(COMMITS, IN_FLIGHT, async (i) => {
      await pool.query(
        'INSERT INTO sluice_bench_offsets VALUES ($1, $2, $3, $4) ON CONFLICT (grp, topic, part) DO UPDATE SET off = EXCLUDED.off',
        ['bench-group', 'bench', i % PARTITIONS, i],
      );
    });
    const { rows } = await pool.query<{ part: number; off: string }>(
      "SELECT part, off FROM sluice_bench_offsets WHERE grp = 'bench-group'",
    );
    checkStored('PostgreSQL', new Map(rows.map((r) => [r.part, Number(r.off)])), IN_FLIGHT);
    await pool.query('DROP TABLE sluice_bench_offsets');
    return rate;
  } catch (err) {
    return `missing (${(err as Error).message})`;
  } finally {
    await pool.end();
  }
}

/** Redis over raw RESP on a private redis-server: HSET key field value, replies matched in order. */
async function redis(): Promise<number | string> {
  let socket: Socket;
  try {
    const { port } = await startRedis('memory');
    socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection({ port, host: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    return `missing (${(err as Error).message})`;
  }
  const replies: Array<() => void> = [];
  let buffered = '';
  // Every reply line counts as one reply, except inside an HGETALL's array, whose lines are kept.
  let arrayLines = 0;
  const kept: string[] = [];
  socket.on('data', (d: Buffer) => {
    buffered += d.toString('latin1');
    let at = buffered.indexOf('\r\n');
    while (at >= 0) {
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 2);
      if (line.startsWith('-')) throw new Error(`redis: ${line}`);
      if (line.startsWith('*')) arrayLines = Number(line.slice(1)) * 2;
      else if (arrayLines > 0) {
        kept.push(line);
        if (--arrayLines === 0) replies.shift()?.();
      } else replies.shift()?.();
      at = buffered.indexOf('\r\n');
    }
  });
  const resp = (...args: string[]) =>
    `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  const rate = await pipelined(COMMITS, IN_FLIGHT, (i) => {
    return new Promise<void>((resolve) => {
      replies.push(resolve);
      socket.write(resp('HSET', 'sluice-bench:bench-group', `bench:${i % PARTITIONS}`, String(i)));
    });
  });
  await new Promise<void>((resolve) => {
    replies.push(resolve);
    socket.write(resp('HGETALL', 'sluice-bench:bench-group'));
  });
  // kept: $len, field, $len, value, ... for each of the hash's fields.
  const stored = new Map<number, number>();
  for (let i = 0; i + 3 < kept.length; i += 4)
    stored.set(Number(kept[i + 1].split(':')[1]), Number(kept[i + 3]));
  checkStored('Redis', stored);
  await new Promise<void>((resolve) => {
    replies.push(resolve);
    socket.write(resp('DEL', 'sluice-bench:bench-group'));
  });
  socket.destroy();
  return rate;
}

const fmt = (n: number | string) =>
  typeof n === 'number' ? `${Math.round(n).toLocaleString('en-US')}/s` : n;
const ratio = (a: number, b: number | string) => (typeof b === 'number' ? `${(a / b).toFixed(2)}x` : '-');

process.on('exit', cleanupAll);
const pgRate = await postgres();
const redisRate = await redis();
const rows: string[][] = [];
for (const durability of ['memory', 'async', 'sync'] as Durability[]) {
  const ours = await sluice(durability);
  rows.push([
    `Sluice OffsetCommit (${durability})`,
    fmt(ours),
    fmt(pgRate),
    ratio(ours, pgRate),
    fmt(redisRate),
    ratio(ours, redisRate),
  ]);
}
const header = ['case', 'ours', 'PostgreSQL upsert', 'ours/pg', 'Redis HSET (in memory)', 'ours/redis'];
console.log(`offset commits: ${COMMITS} per case, ${IN_FLIGHT} in flight, node ${process.version}`);
console.log(`| ${header.join(' | ')} |`);
console.log(`| ${header.map(() => '---').join(' | ')} |`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
// The private redis-server would keep this process alive.
cleanupAll();
