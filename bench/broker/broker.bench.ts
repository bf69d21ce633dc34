/**
 * The Sluice broker under load, beside Redis Streams and NATS JetStream measured in the same run.
 *
 *   npm run bench:broker      (builds first; the broker runs as `node bin/sluice.js broker`)
 *
 * Env: BENCH_RECORDS_100 (default 1,000,000), BENCH_RECORDS_1K (200,000), BENCH_REPS (3, median),
 * BENCH_RETAINED_GB (5; 0 skips the retained-data RSS phase).
 *
 * Load drivers are native where one exists, so the servers are measured rather than the clients:
 *   Sluice  kcat (librdkafka 2.0.2): `kcat -P -l file` with acks=1 or acks=-1; `kcat -C -c N` to read back.
 *   Redis   redis-benchmark: pipelined XADD (8 connections x 128 deep); XREAD COUNT 1000 one at a time.
 *   NATS    no native CLI on Debian, so ./nats-driver.ts speaks the text protocol: PUB with a reply inbox
 *           (JetStream acks each stored message there), 2000 unacknowledged at most; pull consumer with
 *           ack policy none and two 1000-message pulls outstanding.
 * Every case is one partition / one stream, one payload (100 B or 1 KiB, no compression).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStream, NatsConnection, publishWithAcks, pullAll } from './nats-driver.js';
import {
  cleanupAll,
  cpuSeconds,
  removeDir,
  rssBytes,
  runTimed,
  type Server,
  startNats,
  startRedis,
  startSluice,
  tempDir,
} from './servers.js';

const N100 = Number(process.env.BENCH_RECORDS_100 ?? 1_000_000);
const N1K = Number(process.env.BENCH_RECORDS_1K ?? 200_000);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const RETAINED_GB = Number(process.env.BENCH_RETAINED_GB ?? 5);
const REDIS_CONNS = 8;
const REDIS_PIPELINE = 128;

process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    cleanupAll();
    process.exit(130);
  });
}

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
const median = (runs: Rate[]): Rate => [...runs].sort((a, b) => a.recs - b.recs)[runs.length >> 1];

function payload(size: number): Buffer {
  // Printable, no newline (kcat splits its input on \n), not all one byte.
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 97 + ((i * 7) % 26);
  return b;
}

function payloadFile(dir: string, size: number, count: number): string {
  const file = path.join(dir, `payload-${size}.txt`);
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

async function sluiceProduce(s: Server, topic: string, file: string, acks: 1 | -1): Promise<number> {
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

async function sluiceConsume(s: Server, topic: string, count: number): Promise<number> {
  const r = await runTimed(
    'kcat',
    [...kcatBase(s.port), '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-c', String(count), '-f', '%o\n'],
    { stdout: 'count-lines' },
  );
  if (r.lines !== count) throw new Error(`kcat read ${r.lines} of ${count} records from ${topic}`);
  return r.ms;
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
 * does not change the work; one request at a time, like a consumer waiting for each fetch.
 */
async function redisConsume(s: Server, key: string, count: number): Promise<number> {
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

interface Cell {
  sluice: Rate[];
  redis: Rate[];
  nats: Rate[];
}
const results = new Map<string, Cell>();
function record(row: string, who: keyof Cell, r: Rate): void {
  let c = results.get(row);
  if (!c) results.set(row, (c = { sluice: [], redis: [], nats: [] }));
  c[who].push(r);
}

const fmtRecs = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
const fmtMib = (n: number) => n.toFixed(1);
const fmtBytes = (n: number) =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
const log = (s: string) => process.stdout.write(`${s}\n`);

async function throughput(work: string): Promise<void> {
  const sizes = [
    { size: 100, count: N100, file: payloadFile(work, 100, N100) },
    { size: 1024, count: N1K, file: payloadFile(work, 1024, N1K) },
  ];
  const label = (size: number) => (size === 100 ? '100 B' : '1 KiB');

  // async phase: Sluice async (fsync in the background) | Redis without persistence | JetStream file store.
  // sync phase: Sluice sync (fsync before every ack, whatever acks says) | Redis AOF fsync always |
  // JetStream file store again (2.9.10 has no per-message fsync setting; it acks once the message is in
  // its file buffer). Consumers read in the async phase.
  const phases = [
    { durability: 'async', redis: 'memory', cases: [{ acks: 1, row: 'acks=1, async' }] },
    {
      durability: 'sync',
      redis: 'aof-always',
      cases: [
        { acks: 1, row: 'acks=1, sync' },
        { acks: -1, row: 'acks=-1, sync' },
      ],
    },
  ] as const;
  for (const phase of phases) {
    const sluice = await startSluice(phase.durability);
    const redis = await startRedis(phase.redis);
    const nats = await startNats();
    const natsConn = await NatsConnection.connect(nats.port);
    log(
      `\n== ${phase.durability}: ${sluice.name} :${sluice.port}, ${redis.name} :${redis.port}, ${nats.name} :${nats.port}`,
    );
    try {
      for (let rep = 1; rep <= REPS; rep++) {
        for (const { size, count, file } of sizes) {
          for (const { acks, row } of phase.cases) {
            const name = `s${size}a${acks < 0 ? 'all' : acks}r${rep}`;
            const produceRow = `produce ${label(size)}, ${row}`;
            const consumeRow = `consume ${label(size)}`;
            const [sMs, sCpu] = await withCpu(sluice.pid, () => sluiceProduce(sluice, name, file, acks));
            record(produceRow, 'sluice', rate(count, size, sMs, sCpu));
            const [rMs, rCpu] = await withCpu(redis.pid, () => redisProduce(redis, name, size, count));
            record(produceRow, 'redis', rate(count, size, rMs, rCpu));
            await createStream(natsConn, name);
            const [nMs, nCpu] = await withCpu(nats.pid, () =>
              publishWithAcks(natsConn, name, payload(size), count),
            );
            record(produceRow, 'nats', rate(count, size, nMs, nCpu));
            log(
              `  [rep ${rep}/${REPS}] ${produceRow.padEnd(30)} sluice ${fmtRecs((count / sMs) * 1000)}/s  ` +
                `redis ${fmtRecs((count / rMs) * 1000)}/s  nats ${fmtRecs((count / nMs) * 1000)}/s`,
            );
            if (phase.durability === 'async') {
              const [sc, scCpu] = await withCpu(sluice.pid, () => sluiceConsume(sluice, name, count));
              record(consumeRow, 'sluice', rate(count, size, sc, scCpu));
              const [rc, rcCpu] = await withCpu(redis.pid, () => redisConsume(redis, name, count));
              record(consumeRow, 'redis', rate(count, size, rc, rcCpu));
              const [nc, ncCpu] = await withCpu(nats.pid, () => pullAll(natsConn, name, count));
              if (nc.bytes !== count * size)
                throw new Error(`nats delivered ${nc.bytes} of ${count * size} bytes`);
              record(consumeRow, 'nats', rate(count, size, nc.ms, ncCpu));
              log(
                `  [rep ${rep}/${REPS}] ${consumeRow.padEnd(30)} sluice ${fmtRecs((count / sc) * 1000)}/s  ` +
                  `redis ${fmtRecs((count / rc) * 1000)}/s  nats ${fmtRecs((count / nc.ms) * 1000)}/s`,
              );
            }
            redisCli(redis, 'DEL', name);
          }
        }
      }
    } finally {
      natsConn.close();
      await Promise.all([sluice.stop(), redis.stop(), nats.stop()]);
    }
  }
}

function table(): string {
  const order = [
    'produce 100 B, acks=1, async',
    'produce 100 B, acks=1, sync',
    'produce 100 B, acks=-1, sync',
    'consume 100 B',
    'produce 1 KiB, acks=1, async',
    'produce 1 KiB, acks=1, sync',
    'produce 1 KiB, acks=-1, sync',
    'consume 1 KiB',
  ];
  const head =
    '| case                         | Sluice rec/s | Sluice MiB/s | Redis rec/s | Redis MiB/s | Sluice ÷ Redis | NATS JS rec/s | NATS JS MiB/s | Sluice ÷ NATS |';
  const sep =
    '| ---------------------------- | -----------: | -----------: | ----------: | ----------: | -------------: | ------------: | ------------: | ------------: |';
  const rows = order
    .filter((r) => results.has(r))
    .map((r) => {
      const c = results.get(r)!;
      const s = median(c.sluice);
      const rd = median(c.redis);
      const n = median(c.nats);
      return `| ${r.padEnd(28)} | ${fmtRecs(s.recs).padStart(12)} | ${fmtMib(s.mibs).padStart(12)} | ${fmtRecs(rd.recs).padStart(11)} | ${fmtMib(rd.mibs).padStart(11)} | ${`${(s.recs / rd.recs).toFixed(2)}x`.padStart(14)} | ${fmtRecs(n.recs).padStart(13)} | ${fmtMib(n.mibs).padStart(13)} | ${`${(s.recs / n.recs).toFixed(2)}x`.padStart(13)} |`;
    });
  const cpuHead =
    '| case                         | Sluice CPU s/GiB | Redis CPU s/GiB | Sluice ÷ Redis | NATS JS CPU s/GiB | Sluice ÷ NATS |';
  const cpuSep =
    '| ---------------------------- | ---------------: | --------------: | -------------: | ----------------: | ------------: |';
  const medCpu = (xs: Rate[]) => [...xs].map((x) => x.cpuPerGib).sort((a, b) => a - b)[xs.length >> 1];
  const cpuRows = order
    .filter((r) => results.has(r))
    .map((r) => {
      const c = results.get(r)!;
      const s = medCpu(c.sluice);
      const rd = medCpu(c.redis);
      const n = medCpu(c.nats);
      return `| ${r.padEnd(28)} | ${s.toFixed(2).padStart(16)} | ${rd.toFixed(2).padStart(15)} | ${`${(s / rd).toFixed(2)}x`.padStart(14)} | ${n.toFixed(2).padStart(17)} | ${`${(s / n).toFixed(2)}x`.padStart(13)} |`;
    });
  return [
    head,
    sep,
    ...rows,
    '',
    'Server CPU time (user + system, from /proc/<pid>/stat) per GiB of payload, median; lower is better:',
    '',
    cpuHead,
    cpuSep,
    ...cpuRows,
  ].join('\n');
}

/** Fills a topic with RETAINED_GB of 1 KiB records, then samples the broker's RSS idle and while reading. */
async function retained(work: string): Promise<string[]> {
  const bytesWanted = RETAINED_GB * 2 ** 30;
  const free = fs.statfsSync(os.tmpdir());
  const avail = free.bavail * free.bsize;
  log(`\n== retained data: ${fmtBytes(bytesWanted)} wanted, ${fmtBytes(avail)} free under ${os.tmpdir()}`);
  if (avail < bytesWanted * 1.2 + 2 ** 30) {
    log('   not enough free disk: skipping the retained-data phase');
    return [`retained-data phase skipped: ${fmtBytes(avail)} free, ${fmtBytes(bytesWanted)} needed`];
  }
  const chunkRecords = 100_000;
  const file = payloadFile(work, 1024, chunkRecords);
  const dataDir = tempDir('sluice-bench-retained-');
  let sluice = await startSluice('async', dataDir);
  const sampler = (into: number[]) => setInterval(() => into.push(rssBytes(sluice.pid)), 100);
  try {
    const rssFresh = rssBytes(sluice.pid);
    const chunks = Math.ceil(bytesWanted / (chunkRecords * 1024));
    const produceSamples: number[] = [];
    const t = sampler(produceSamples);
    const start = performance.now();
    for (let i = 1; i <= chunks; i++) {
      await sluiceProduce(sluice, 'retained', file, 1);
      if (i % 5 === 0 || i === chunks) {
        const done = i * chunkRecords * 1024;
        const s = (performance.now() - start) / 1000;
        log(
          `   produced ${fmtBytes(done)} of ${fmtBytes(chunks * chunkRecords * 1024)} (${(done / 2 ** 20 / s).toFixed(0)} MiB/s), broker RSS ${fmtBytes(rssBytes(sluice.pid))}`,
        );
      }
    }
    clearInterval(t);
    const total = chunks * chunkRecords;
    const onDisk = Number(execFileSync('du', ['-sb', dataDir], { encoding: 'utf8' }).split('\t')[0]);
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
        ...kcatBase(sluice.port),
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
        '%o\n',
      ],
      { stdout: 'count-lines' },
    );
    clearInterval(tr);
    if (r.lines !== readCount) throw new Error(`read ${r.lines} of ${readCount} records from the middle`);
    // kill -9 with the whole backlog on disk, and time the restart (recovery of the unclean shutdown).
    await sluice.kill9();
    const restartStart = performance.now();
    sluice = await startSluice('async', dataDir);
    const restartMs = performance.now() - restartStart;
    const recoveryLine = /recovery\s+(.*)/.exec(sluice.output())?.[1] ?? '?';
    log(
      `   restart after kill -9: ${(restartMs / 1000).toFixed(2)} s to the banner (recovery: ${recoveryLine})`,
    );
    const max = (xs: number[]) => Math.max(...xs);
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    return [
      `| retained on disk | broker RSS fresh | RSS peak while producing | RSS idle (median) | RSS reading from the middle (median / peak) | read rate |`,
      `| ---------------: | ---------------: | -----------------------: | ----------------: | -------------------------------------------: | --------: |`,
      `| ${fmtBytes(onDisk)} (${(total / 1e6).toFixed(2)} M records of 1 KiB) | ${fmtBytes(rssFresh)} | ${fmtBytes(max(produceSamples))} | ${fmtBytes(med(idle))} | ${fmtBytes(med(reading))} / ${fmtBytes(max(reading))} | ${fmtMib((readCount * 1024) / 2 ** 20 / (r.ms / 1000))} MiB/s |`,
      '',
      `restart after kill -9 with ${fmtBytes(onDisk)} retained: ${(restartMs / 1000).toFixed(2)} s from spawn to the banner (process start included); recovery: ${recoveryLine}`,
    ];
  } finally {
    await sluice.stop();
    removeDir(dataDir);
  }
}

async function main(): Promise<void> {
  const work = tempDir('sluice-bench-work-');
  const kcatV = execFileSync('kcat', ['-V'], { encoding: 'utf8' }).split('\n')[0];
  const redisV = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim().split(' ')[2];
  const natsV = execFileSync('nats-server', ['--version'], { encoding: 'utf8' }).trim();
  log(
    `Sluice broker vs Redis Streams (${redisV}) vs NATS JetStream (${natsV}); driver for Sluice: ${kcatV}\n` +
      `Node ${process.version}, ${os.cpus().length} cores; ${N100} x 100 B and ${N1K} x 1 KiB records per case, median of ${REPS}`,
  );
  await throughput(work);
  const t = table();
  const rss = RETAINED_GB > 0 ? await retained(work) : ['retained-data phase skipped (BENCH_RETAINED_GB=0)'];
  removeDir(work);
  log(`\n${new Date().toISOString().slice(0, 10)}, median of ${REPS} runs, rec/s and MiB/s of payload\n`);
  log(t);
  log('');
  log(rss.join('\n'));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`broker bench failed: ${(err as Error).stack}\n`);
    cleanupAll();
    process.exit(1);
  },
);
