/**
 * The Sluice broker under load, beside Apache Kafka (one KRaft node), Redis Streams and NATS JetStream
 * measured in the same run, and beside the floor for serving stored bytes (a bare `fs.read` +
 * `socket.write` loop over the same segment files).
 *
 *   npm run bench:broker      (builds first; the broker runs as `node bin/sluice.js broker`)
 *
 * Env: BENCH_RECORDS_100 (default 1,000,000), BENCH_RECORDS_1K (200,000), BENCH_REPS (3, median),
 * BENCH_RETAINED_GB (5; 0 skips the retained-data phase), BENCH_KAFKA (1; 0 leaves Kafka out),
 * BENCH_BROKER_NODE_ARGS (extra node flags for the Sluice broker, e.g. "--cpu-prof").
 *
 * Load drivers are native or the peers' own, so the servers are measured rather than the clients:
 *   Sluice, Kafka  kcat (librdkafka): `kcat -P -l file` with acks=1 or acks=-1; `kcat -C -c N` to read
 *                  back; and Kafka's own kafka-producer-perf-test / kafka-consumer-perf-test (Java client).
 *   Redis          redis-benchmark: pipelined XADD (8 connections x 128 deep); XREAD COUNT 1000 one at a time.
 *   NATS           no native CLI on Debian, so ./nats-driver.ts speaks the text protocol: PUB with a reply
 *                  inbox (JetStream acks each stored message there), 2000 unacknowledged at most; pull
 *                  consumer with ack policy none and two 1000-message pulls outstanding.
 * Every case is one partition / one stream, one payload (100 B or 1 KiB, no compression). Every rate is
 * checked before it is recorded: produced counts against the partition's end offset or the stream's
 * length, consumed records by count and by the sum of their sizes.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStream, NatsConnection, publishWithAcks, pullAll } from './nats-driver.js';
import {
  cleanupAll,
  cpuSeconds,
  drain,
  removeDir,
  rssBytes,
  runTimed,
  type Server,
  startFloor,
  startKafkaServer,
  startNats,
  startRedis,
  startSluice,
  tempDir,
} from './servers.js';

const N100 = Number(process.env.BENCH_RECORDS_100 ?? 1_000_000);
const N1K = Number(process.env.BENCH_RECORDS_1K ?? 200_000);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const RETAINED_GB = Number(process.env.BENCH_RETAINED_GB ?? 5);
const WITH_KAFKA = process.env.BENCH_KAFKA !== '0';
const REDIS_CONNS = 8;
const REDIS_PIPELINE = 128;
const KAFKA_TOOL = path.join(import.meta.dirname, '..', '..', 'scripts', 'kafka', 'kafka-tool.sh');
/** The perf-test tools run long enough to want the JVM's full JIT and its default collector. */
const PERF_TOOL_ENV = { ...process.env, KAFKA_TOOL_JVM_OPTS: '-XX:+UseG1GC', KAFKA_HEAP_OPTS: '-Xmx1G' };

process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    cleanupAll();
    process.exit(130);
  });
}

type Peer = 'sluice' | 'kafka' | 'redis' | 'nats' | 'floor';

interface Rate {
  recs: number;
  mibs: number;
  /** Server CPU seconds (user + system) per GiB of payload moved. */
  cpuPerGib: number;
}
const rate = (records: number, payloadBytes: number, ms: number, cpuS: number): Rate => ({
  recs: (records / ms) * 1000,
  mibs: (records * payloadBytes) / 1048576 / (ms / 1000),
  cpuPerGib: cpuS / ((records * payloadBytes) / 2 ** 30),
});

/** Runs `work` and returns its result with the CPU seconds `pid` used meanwhile. */
async function withCpu<T>(pid: number, work: () => Promise<T>): Promise<[T, number]> {
  const before = cpuSeconds(pid);
  const result = await work();
  return [result, cpuSeconds(pid) - before];
}
const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function payload(size: number): Buffer {
  // Printable, no newline (kcat splits its input on \n), not all one byte.
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 97 + ((i * 7) % 26);
  return b;
}

function payloadFile(dir: string, size: number, count: number): string {
  const file = path.join(dir, `payload-${size}-${count}.txt`);
  const line = Buffer.concat([payload(size), Buffer.from('\n')]);
  const chunk = Buffer.concat(Array.from({ length: 1000 }, () => line));
  const fd = fs.openSync(file, 'w');
  for (let left = count; left > 0; left -= 1000) {
    fs.writeSync(fd, left >= 1000 ? chunk : chunk.subarray(0, line.length * left));
  }
  fs.closeSync(fd);
  return file;
}

const kcatBase = (port: number) => ['-b', `127.0.0.1:${port}`, '-X', 'broker.address.family=v4', '-q'];

/** The partition's end offset, asked with kcat (-Q with timestamp -1: the latest offset). */
function endOffset(s: Server, topic: string): number {
  const out = execFileSync('kcat', [...kcatBase(s.port), '-Q', '-t', `${topic}:0:-1`], { encoding: 'utf8' });
  const m = /offset (-?\d+)/.exec(out);
  if (!m) throw new Error(`kcat -Q gave no offset for ${topic} on ${s.name}: ${out}`);
  return Number(m[1]);
}

function expectEndOffset(s: Server, topic: string, count: number): void {
  const end = endOffset(s, topic);
  if (end !== count) throw new Error(`${s.name}: ${topic} ends at offset ${end} after producing ${count}`);
}

async function kcatProduce(s: Server, topic: string, file: string, acks: 1 | -1): Promise<number> {
  const r = await runTimed('kcat', [
    ...kcatBase(s.port),
    '-P',
    '-t',
    topic,
    '-p',
    '0',
    '-X',
    `acks=${acks}`,
    '-l',
    file,
  ]);
  if (/fail|error/i.test(r.stderr)) throw new Error(`kcat reported: ${r.stderr}`);
  return r.ms;
}

async function kcatConsume(s: Server, topic: string, count: number, size: number): Promise<number> {
  // From offset 0, where each topic here starts, rather than `-o beginning`: librdkafka 2.0.2 looks
  // "beginning" up with a ListOffsets that it sometimes sends 500 ms late (its "timed offset query"
  // after the partition joins its broker), on Kafka and on Sluice alike; that half second was most of
  // a 200 MB read and made the consume rows bimodal. An absolute offset needs no lookup.
  const r = await runTimed(
    'kcat',
    [...kcatBase(s.port), '-C', '-t', topic, '-p', '0', '-o', '0', '-c', String(count), '-f', '%S\n'],
    { stdout: 'sum-lines' },
  );
  if (r.lines !== count || r.sum !== count * size) {
    throw new Error(
      `kcat read ${r.lines} of ${count} records (${r.sum} of ${count * size} bytes) from ${topic}`,
    );
  }
  return r.ms;
}

/** kafka-producer-perf-test: its own records/s (sent at full speed, one partition topic made beforehand). */
async function perfProduce(s: Server, topic: string, size: number, count: number, acks: 1 | -1) {
  const r = await runTimed(
    'bash',
    [
      KAFKA_TOOL,
      'kafka-producer-perf-test',
      '--topic',
      topic,
      '--num-records',
      String(count),
      '--record-size',
      String(size),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=127.0.0.1:${s.port}`,
      `acks=${acks}`,
    ],
    { env: PERF_TOOL_ENV },
  );
  const m = /(\d+) records sent, ([\d.]+) records\/sec/.exec(r.stdout.trim().split('\n').pop() ?? '');
  if (!m || Number(m[1]) !== count)
    throw new Error(`cannot read kafka-producer-perf-test's summary:\n${r.stdout}`);
  expectEndOffset(s, topic, count);
  return (count / Number(m[2])) * 1000;
}

/** kafka-consumer-perf-test: the fetch time it reports (group join excluded), after checking the count and bytes. */
async function perfConsume(s: Server, topic: string, size: number, count: number): Promise<number> {
  const r = await runTimed(
    'bash',
    [
      KAFKA_TOOL,
      'kafka-consumer-perf-test',
      '--bootstrap-server',
      `127.0.0.1:${s.port}`,
      '--topic',
      topic,
      '--messages',
      String(count),
      '--group',
      `perf-${topic}`,
      '--timeout',
      '30000',
    ],
    { env: PERF_TOOL_ENV },
  );
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const fields = (r.stdout.trim().split('\n').pop() ?? '').split(',').map((f) => f.trim());
  const consumedMb = Number(fields[2]);
  const consumed = Number(fields[4]);
  const fetchMs = Number(fields[7]);
  if (
    consumed !== count ||
    Math.abs(consumedMb * 1048576 - count * size) > 1048576 * 0.01 ||
    !(fetchMs > 0)
  ) {
    throw new Error(
      `kafka-consumer-perf-test read ${consumed} of ${count} records:\n${r.stdout}\n${r.stderr}`,
    );
  }
  return fetchMs;
}

function redisCli(s: Server, ...args: string[]): string {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(s.port), ...args], {
    encoding: 'utf8',
  }).trim();
}

/** redis-benchmark's own requests/s for one command line. */
async function redisBench(
  s: Server,
  requests: number,
  conns: number,
  pipeline: number,
  cmd: string[],
): Promise<number> {
  const r = await runTimed('redis-benchmark', [
    '-h',
    '127.0.0.1',
    '-p',
    String(s.port),
    '-c',
    String(conns),
    '-P',
    String(pipeline),
    '-n',
    String(requests),
    '--csv',
    ...cmd,
  ]);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  const rps = Number(last.split('","')[1]);
  if (!Number.isFinite(rps) || rps <= 0) throw new Error(`cannot read redis-benchmark output:\n${r.stdout}`);
  return rps;
}

async function redisProduce(s: Server, key: string, size: number, count: number): Promise<number> {
  const rps = await redisBench(s, count, REDIS_CONNS, REDIS_PIPELINE, [
    'XADD',
    key,
    '*',
    'v',
    payload(size).toString(),
  ]);
  const len = Number(redisCli(s, 'XLEN', key));
  // redis-benchmark may finish its last pipeline round past -n; fewer would mean lost writes.
  if (len < count || len > count + REDIS_CONNS * REDIS_PIPELINE) {
    throw new Error(`redis stream ${key} holds ${len} entries after ${count} XADDs`);
  }
  return (count / rps) * 1000;
}

/**
 * redis-benchmark repeats one command, so it reads the stream's first 1000 entries count/1000 times
 * (XREAD COUNT 1000 STREAMS key 0-0). Redis keeps the whole stream in RAM, so where it reads from
 * does not change the work; one request at a time, like a consumer waiting for each fetch. The reply
 * is checked once: 1000 entries of the payload's size.
 */
async function redisConsume(s: Server, key: string, count: number, size: number): Promise<number> {
  const reply = execFileSync(
    'redis-cli',
    ['-h', '127.0.0.1', '-p', String(s.port), '--no-raw', 'XREAD', 'COUNT', '1000', 'STREAMS', key, '0-0'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const values = reply.split('\n').filter((l) => l.includes(`"${payload(size).toString()}"`)).length;
  if (values !== Math.min(1000, count))
    throw new Error(`XREAD COUNT 1000 on ${key} returned ${values} payloads`);
  const rps = await redisBench(s, Math.max(1, Math.round(count / 1000)), 1, 1, [
    'XREAD',
    'COUNT',
    '1000',
    'STREAMS',
    key,
    '0-0',
  ]);
  return (count / (rps * 1000)) * 1000;
}

/** The segment files holding `topic`'s partition 0 on a Sluice broker, oldest first. */
function segmentFiles(s: Server, topic: string): string[] {
  const dir = path.join(s.dir, `${topic}-0`);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The fs.read + socket.write floor over the segment files Sluice just served: its time and CPU. */
async function floorServe(sluice: Server, topic: string, count: number, size: number): Promise<Rate> {
  const files = segmentFiles(sluice, topic);
  const total = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  const floor = await startFloor(files);
  try {
    const [r, cpu] = await withCpu(floor.pid, () => drain(floor.port));
    if (r.bytes !== total) throw new Error(`floor server sent ${r.bytes} of ${total} bytes`);
    return rate(count, size, r.ms, cpu);
  } finally {
    await floor.stop();
  }
}

/** Resident memory samples of each server, every 200 ms while a phase runs. */
class RssSampler {
  readonly samples = new Map<string, number[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly servers: Server[]) {}

  start(): void {
    this.timer = setInterval(() => {
      for (const s of this.servers) {
        try {
          const list = this.samples.get(s.name) ?? [];
          list.push(rssBytes(s.pid));
          this.samples.set(s.name, list);
        } catch {
          // the process is gone (stopping): nothing to sample
        }
      }
    }, 200);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

interface Row {
  name: string;
  peers: Partial<Record<Peer, Rate[]>>;
}
const rows = new Map<string, Row>();
function record(row: string, who: Peer, r: Rate): void {
  let c = rows.get(row);
  if (!c) rows.set(row, (c = { name: row, peers: {} }));
  (c.peers[who] ??= []).push(r);
}

const fmtRecs = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
const fmtBytes = (n: number) =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
const log = (s: string) => process.stdout.write(`${s}\n`);
const load = () => os.loadavg()[0].toFixed(2);
const label = (size: number) => (size === 100 ? '100 B' : '1 KiB');

interface MemoryRow {
  server: string;
  idle: number;
  peak: number;
}
const memory: MemoryRow[] = [];
const loads: string[] = [];

/** Runs every driver once, unmeasured: the JVM's JIT and every server's caches warm up. */
async function warmUp(sluice: Server, kafka: Server | undefined, work: string): Promise<void> {
  const file = payloadFile(work, 1024, 20_000);
  for (const s of [sluice, kafka]) {
    if (!s) continue;
    await kcatProduce(s, 'warmup', file, 1);
    await kcatConsume(s, 'warmup', 20_000, 1024);
    if (WITH_KAFKA) {
      await perfProduce(s, 'warmup-perf', 1024, 50_000, 1);
      await perfConsume(s, 'warmup-perf', 1024, 50_000);
    }
  }
}

async function throughput(work: string): Promise<void> {
  const sizes = [
    { size: 100, count: N100, file: payloadFile(work, 100, N100) },
    { size: 1024, count: N1K, file: payloadFile(work, 1024, N1K) },
  ];

  // async: Sluice async (fsync in the background) | Kafka's defaults (no fsync: the page cache and
  // replication are its durability) | Redis without persistence | JetStream file store.
  // sync: Sluice sync (fsync before every ack, whatever acks says) | Kafka with
  // log.flush.interval.messages=1 (fsync on every append) | Redis AOF fsync always | JetStream file store
  // again (2.9.10 has no per-message fsync setting). Consumers and the perf-test tools run in the async phase.
  const phases = [
    {
      durability: 'async',
      redis: 'memory',
      kafka: {},
      cases: [
        { acks: 1, row: 'acks=1, async', peers: true },
        { acks: -1, row: 'acks=-1, async', peers: false },
      ],
    },
    {
      durability: 'sync',
      redis: 'aof-always',
      kafka: { 'log.flush.interval.messages': '1' },
      cases: [
        { acks: 1, row: 'acks=1, sync', peers: true },
        { acks: -1, row: 'acks=-1, sync', peers: false },
      ],
    },
  ] as const;
  for (const phase of phases) {
    const sluice = await startSluice(phase.durability);
    const kafka = WITH_KAFKA ? await startKafkaServer(phase.durability, phase.kafka) : undefined;
    const redis = await startRedis(phase.redis);
    const nats = await startNats();
    const natsConn = await NatsConnection.connect(nats.port);
    const servers = [sluice, kafka, redis, nats].filter((s): s is Server => s !== undefined);
    log(`\n== ${phase.durability}: ${servers.map((s) => `${s.name} :${s.port}`).join(', ')}`);
    try {
      await warmUp(sluice, kafka, work);
      await new Promise((r) => setTimeout(r, 1_000));
      const idle = new Map(servers.map((s) => [s.name, rssBytes(s.pid)]));
      const sampler = new RssSampler(servers);
      sampler.start();
      loads.push(`${phase.durability} phase start: ${load()}`);
      for (let rep = 1; rep <= REPS; rep++) {
        for (const { size, count, file } of sizes) {
          for (const { acks, row, peers } of phase.cases) {
            const name = `s${size}a${acks < 0 ? 'all' : acks}r${rep}`;
            const produceRow = `produce ${label(size)}, ${row}`;
            const line: string[] = [];
            const [sMs, sCpu] = await withCpu(sluice.pid, () => kcatProduce(sluice, name, file, acks));
            expectEndOffset(sluice, name, count);
            record(produceRow, 'sluice', rate(count, size, sMs, sCpu));
            line.push(`sluice ${fmtRecs((count / sMs) * 1000)}/s`);
            if (kafka) {
              const [kMs, kCpu] = await withCpu(kafka.pid, () => kcatProduce(kafka, name, file, acks));
              expectEndOffset(kafka, name, count);
              record(produceRow, 'kafka', rate(count, size, kMs, kCpu));
              line.push(`kafka ${fmtRecs((count / kMs) * 1000)}/s`);
            }
            if (peers) {
              const [rMs, rCpu] = await withCpu(redis.pid, () => redisProduce(redis, name, size, count));
              record(produceRow, 'redis', rate(count, size, rMs, rCpu));
              await createStream(natsConn, name);
              const [nMs, nCpu] = await withCpu(nats.pid, () =>
                publishWithAcks(natsConn, name, payload(size), count),
              );
              record(produceRow, 'nats', rate(count, size, nMs, nCpu));
              line.push(
                `redis ${fmtRecs((count / rMs) * 1000)}/s`,
                `nats ${fmtRecs((count / nMs) * 1000)}/s`,
              );
            }
            log(`  [rep ${rep}/${REPS}] ${produceRow.padEnd(32)} ${line.join('  ')}`);
            if (phase.durability === 'async' && acks === 1) {
              await consumeRow(sluice, kafka, redis, natsConn, nats, name, size, count, rep);
              redisCli(redis, 'DEL', name);
            }
          }
          if (phase.durability === 'async') await perfRows(sluice, kafka, size, count, rep);
        }
      }
      sampler.stop();
      loads.push(`${phase.durability} phase end: ${load()}`);
      for (const s of servers) {
        memory.push({
          server: s.name,
          idle: idle.get(s.name)!,
          peak: Math.max(...(sampler.samples.get(s.name) ?? [0])),
        });
      }
    } finally {
      natsConn.close();
      await Promise.all(servers.map((s) => s.stop()));
    }
  }
}

async function consumeRow(
  sluice: Server,
  kafka: Server | undefined,
  redis: Server,
  natsConn: NatsConnection,
  nats: Server,
  name: string,
  size: number,
  count: number,
  rep: number,
): Promise<void> {
  const row = `consume ${label(size)}`;
  const line: string[] = [];
  const [sc, scCpu] = await withCpu(sluice.pid, () => kcatConsume(sluice, name, count, size));
  record(row, 'sluice', rate(count, size, sc, scCpu));
  line.push(`sluice ${fmtRecs((count / sc) * 1000)}/s`);
  if (kafka) {
    const [kc, kcCpu] = await withCpu(kafka.pid, () => kcatConsume(kafka, name, count, size));
    record(row, 'kafka', rate(count, size, kc, kcCpu));
    line.push(`kafka ${fmtRecs((count / kc) * 1000)}/s`);
  }
  const [rc, rcCpu] = await withCpu(redis.pid, () => redisConsume(redis, name, count, size));
  record(row, 'redis', rate(count, size, rc, rcCpu));
  const [nc, ncCpu] = await withCpu(nats.pid, () => pullAll(natsConn, name, count));
  if (nc.bytes !== count * size) throw new Error(`nats delivered ${nc.bytes} of ${count * size} bytes`);
  record(row, 'nats', rate(count, size, nc.ms, ncCpu));
  const floor = await floorServe(sluice, name, count, size);
  record(row, 'floor', floor);
  line.push(
    `redis ${fmtRecs((count / rc) * 1000)}/s`,
    `nats ${fmtRecs((count / nc.ms) * 1000)}/s`,
    `floor ${fmtRecs(floor.recs)}/s`,
  );
  log(`  [rep ${rep}/${REPS}] ${row.padEnd(32)} ${line.join('  ')}`);
}

/** The same rows with Kafka's own perf-test tools (the Java client) against Sluice and Kafka. */
async function perfRows(
  sluice: Server,
  kafka: Server | undefined,
  size: number,
  count: number,
  rep: number,
): Promise<void> {
  if (!kafka) return;
  for (const acks of [1, -1] as const) {
    const row = `produce ${label(size)}, acks=${acks}, async (perf-test)`;
    const topic = `perf-s${size}a${acks < 0 ? 'all' : acks}r${rep}`;
    const line: string[] = [];
    for (const [who, s] of [
      ['sluice', sluice],
      ['kafka', kafka],
    ] as const) {
      const [ms, cpu] = await withCpu(s.pid, () => perfProduce(s, topic, size, count, acks));
      record(row, who, rate(count, size, ms, cpu));
      line.push(`${who} ${fmtRecs((count / ms) * 1000)}/s`);
    }
    log(`  [rep ${rep}/${REPS}] ${row.padEnd(32)} ${line.join('  ')}`);
    if (acks !== 1) continue;
    const consume = `consume ${label(size)} (perf-test)`;
    const cline: string[] = [];
    for (const [who, s] of [
      ['sluice', sluice],
      ['kafka', kafka],
    ] as const) {
      const [ms, cpu] = await withCpu(s.pid, () => perfConsume(s, topic, size, count));
      record(consume, who, rate(count, size, ms, cpu));
      cline.push(`${who} ${fmtRecs((count / ms) * 1000)}/s`);
    }
    log(`  [rep ${rep}/${REPS}] ${consume.padEnd(32)} ${cline.join('  ')}`);
  }
}

const ORDER = [
  'produce 100 B, acks=1, async',
  'produce 100 B, acks=-1, async',
  'produce 100 B, acks=1, sync',
  'produce 100 B, acks=-1, sync',
  'consume 100 B',
  'produce 100 B, acks=1, async (perf-test)',
  'produce 100 B, acks=-1, async (perf-test)',
  'consume 100 B (perf-test)',
  'produce 1 KiB, acks=1, async',
  'produce 1 KiB, acks=-1, async',
  'produce 1 KiB, acks=1, sync',
  'produce 1 KiB, acks=-1, sync',
  'consume 1 KiB',
  'produce 1 KiB, acks=1, async (perf-test)',
  'produce 1 KiB, acks=-1, async (perf-test)',
  'consume 1 KiB (perf-test)',
];

function markdown(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const sep = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(head), sep, ...body.map(line)].join('\n');
}

function tables(): string {
  const ordered = ORDER.filter((r) => rows.has(r)).map((r) => rows.get(r)!);
  const recs = (row: Row, who: Peer) => {
    const xs = row.peers[who];
    return xs ? medianOf(xs.map((x) => x.recs)) : undefined;
  };
  const cpu = (row: Row, who: Peer) => {
    const xs = row.peers[who];
    return xs ? medianOf(xs.map((x) => x.cpuPerGib)) : undefined;
  };
  const cell = (n: number | undefined, f: (n: number) => string) => (n === undefined ? '' : f(n));
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? '' : `${(a / b).toFixed(2)}x`;
  const rateTable = markdown(
    [
      'case',
      'Sluice rec/s',
      'Sluice MiB/s',
      'Kafka rec/s',
      'Sluice ÷ Kafka',
      'Redis rec/s',
      'Sluice ÷ Redis',
      'NATS JS rec/s',
      'Sluice ÷ NATS',
      'floor rec/s',
    ],
    ordered.map((row) => {
      const s = recs(row, 'sluice');
      const size = row.name.includes('100 B') ? 100 : 1024;
      return [
        row.name,
        cell(s, fmtRecs),
        cell(s, (n) => ((n * size) / 1048576).toFixed(1)),
        cell(recs(row, 'kafka'), fmtRecs),
        ratio(s, recs(row, 'kafka')),
        cell(recs(row, 'redis'), fmtRecs),
        ratio(s, recs(row, 'redis')),
        cell(recs(row, 'nats'), fmtRecs),
        ratio(s, recs(row, 'nats')),
        cell(recs(row, 'floor'), fmtRecs),
      ];
    }),
  );
  const cpuTable = markdown(
    [
      'case',
      'Sluice',
      'Kafka',
      'Sluice ÷ Kafka',
      'Redis',
      'Sluice ÷ Redis',
      'NATS JS',
      'Sluice ÷ NATS',
      'floor',
      'Sluice ÷ floor',
    ],
    ordered.map((row) => {
      const s = cpu(row, 'sluice');
      const two = (n: number) => n.toFixed(2);
      return [
        row.name,
        cell(s, two),
        cell(cpu(row, 'kafka'), two),
        ratio(s, cpu(row, 'kafka')),
        cell(cpu(row, 'redis'), two),
        ratio(s, cpu(row, 'redis')),
        cell(cpu(row, 'nats'), two),
        ratio(s, cpu(row, 'nats')),
        cell(cpu(row, 'floor'), two),
        ratio(s, cpu(row, 'floor')),
      ];
    }),
  );
  const memTable = markdown(
    ['server', 'RSS idle (after warm-up)', 'RSS peak under load'],
    memory.map((m) => [m.server, fmtBytes(m.idle), fmtBytes(m.peak)]),
  );
  return [
    `Throughput, median of ${REPS}; "floor" is a bare fs.read + socket.write loop over the same segment files:`,
    '',
    rateTable,
    '',
    'Server CPU time (user + system, from /proc/<pid>/stat) per GiB of payload, median; lower is better:',
    '',
    cpuTable,
    '',
    'Resident memory (VmRSS) of each server, idle after the warm-up and at its peak during the phase:',
    '',
    memTable,
  ].join('\n');
}

/** Fills a topic with RETAINED_GB of 1 KiB records, then samples the server's RSS idle and while reading. */
async function retained(work: string, who: 'sluice' | 'kafka'): Promise<string[]> {
  const bytesWanted = RETAINED_GB * 2 ** 30;
  const free = fs.statfsSync(os.tmpdir());
  const avail = free.bavail * free.bsize;
  log(
    `\n== retained data on ${who}: ${fmtBytes(bytesWanted)} wanted, ${fmtBytes(avail)} free under ${os.tmpdir()}`,
  );
  if (avail < bytesWanted * 1.2 + 2 ** 30) {
    log('   not enough free disk: skipping the retained-data phase');
    return [`| ${who} | skipped: ${fmtBytes(avail)} free, ${fmtBytes(bytesWanted)} needed | | | | |`];
  }
  const chunkRecords = 100_000;
  const file = payloadFile(work, 1024, chunkRecords);
  const dataDir = tempDir('sluice-bench-retained-');
  let server = who === 'sluice' ? await startSluice('async', dataDir) : await startKafkaServer('async');
  const sampler = (into: number[]) => setInterval(() => into.push(rssBytes(server.pid)), 100);
  try {
    const rssFresh = rssBytes(server.pid);
    const chunks = Math.ceil(bytesWanted / (chunkRecords * 1024));
    const produceSamples: number[] = [];
    const t = sampler(produceSamples);
    const start = performance.now();
    for (let i = 1; i <= chunks; i++) {
      await kcatProduce(server, 'retained', file, 1);
      if (i % 10 === 0 || i === chunks) {
        const done = i * chunkRecords * 1024;
        const s = (performance.now() - start) / 1000;
        log(
          `   produced ${fmtBytes(done)} of ${fmtBytes(chunks * chunkRecords * 1024)} (${(done / 2 ** 20 / s).toFixed(0)} MiB/s), RSS ${fmtBytes(rssBytes(server.pid))}`,
        );
      }
    }
    clearInterval(t);
    const total = chunks * chunkRecords;
    expectEndOffset(server, 'retained', total);
    // Idle: give the runtime a moment to settle, then sample for 3 s.
    await new Promise((r) => setTimeout(r, 2_000));
    const idle: number[] = [];
    const ti = sampler(idle);
    await new Promise((r) => setTimeout(r, 3_000));
    clearInterval(ti);
    // Read 1 GiB starting from the middle of the log.
    const readCount = Math.min(total / 2, 2 ** 30 / 1024);
    const reading: number[] = [];
    const tr = sampler(reading);
    log(`   reading ${fmtBytes(readCount * 1024)} from offset ${total / 2} (the middle)...`);
    const r = await runTimed(
      'kcat',
      [
        ...kcatBase(server.port),
        '-C',
        '-t',
        'retained',
        '-p',
        '0',
        '-o',
        String(total / 2),
        '-c',
        String(readCount),
        '-f',
        '%S\n',
      ],
      { stdout: 'sum-lines' },
    );
    clearInterval(tr);
    if (r.lines !== readCount || r.sum !== readCount * 1024) {
      throw new Error(`read ${r.lines} of ${readCount} records (${r.sum} bytes) from the middle`);
    }
    let restart = '';
    if (who === 'sluice') {
      // kill -9 with the whole backlog on disk, and time the restart (recovery of the unclean shutdown).
      await server.kill9();
      const restartStart = performance.now();
      server = await startSluice('async', dataDir);
      const restartMs = performance.now() - restartStart;
      const recoveryLine = /recovery\s+(.*)/.exec(server.output())?.[1] ?? '?';
      log(
        `   restart after kill -9: ${(restartMs / 1000).toFixed(2)} s to the banner (recovery: ${recoveryLine})`,
      );
      restart = `${(restartMs / 1000).toFixed(2)} s (${recoveryLine})`;
    }
    const max = (xs: number[]) => Math.max(...xs);
    return [
      `| ${who} | ${fmtBytes(total * 1024)} (${(total / 1e6).toFixed(2)} M records) | ${fmtBytes(rssFresh)} | ${fmtBytes(max(produceSamples))} | ${fmtBytes(medianOf(idle))} | ${fmtBytes(medianOf(reading))} / ${fmtBytes(max(reading))} | ${((readCount * 1024) / 2 ** 20 / (r.ms / 1000)).toFixed(1)} MiB/s | ${restart} |`,
    ];
  } finally {
    await server.stop();
    removeDir(dataDir);
  }
}

async function main(): Promise<void> {
  const work = tempDir('sluice-bench-work-');
  const kcatV = execFileSync('kcat', ['-V'], { encoding: 'utf8' }).split('\n')[0];
  const redisV = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim().split(' ')[2];
  const natsV = execFileSync('nats-server', ['--version'], { encoding: 'utf8' }).trim();
  const started = new Date().toISOString().slice(0, 16).replace('T', ' ');
  log(
    `Sluice broker vs Apache Kafka (one KRaft node) vs Redis Streams (${redisV}) vs NATS JetStream (${natsV}); ${kcatV}\n` +
      `Node ${process.version}, ${os.cpus().length} cores; ${N100} x 100 B and ${N1K} x 1 KiB records per case, median of ${REPS}`,
  );
  loads.push(`start: ${load()}`);
  await throughput(work);
  const t = tables();
  const retainedRows: string[] = [];
  if (RETAINED_GB > 0) {
    retainedRows.push(...(await retained(work, 'sluice')));
    if (WITH_KAFKA) retainedRows.push(...(await retained(work, 'kafka')));
  }
  loads.push(`end: ${load()}`);
  removeDir(work);
  log(`\n${started} UTC, load average (1 min) ${loads.join(', ')}\n`);
  log(t);
  log('');
  if (retainedRows.length === 0) log('retained-data phase skipped (BENCH_RETAINED_GB=0)');
  else {
    log(
      `With ${RETAINED_GB} GiB of 1 KiB records retained (written with kcat, then 1 GiB read from the middle):\n`,
    );
    log(
      '| server | retained | RSS fresh | RSS peak while producing | RSS idle (median) | RSS reading (median / peak) | read rate | restart after kill -9 |',
    );
    log(
      '| ------ | -------: | --------: | -----------------------: | ----------------: | --------------------------: | --------: | --------------------- |',
    );
    log(retainedRows.join('\n'));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`broker bench failed: ${(err as Error).stack}\n`);
    cleanupAll();
    process.exit(1);
  },
);
