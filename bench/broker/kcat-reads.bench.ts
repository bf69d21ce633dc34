/**
 * What sets `consume 100 B` (kcat) in bench:broker: the same read of 1,000,000 records of 100 B from
 * Sluice and from Kafka (one KRaft node), taken in turns, each with librdkafka's fetch log
 * (`-X debug=fetch`), which splits a read into the time from each Fetch sent to its records enqueued
 * (the broker's answer and librdkafka's parsing) and the time from there to the next Fetch (librdkafka
 * waiting for room in its queue, which kcat's own thread empties as it prints each record).
 *
 * Run with `npx tsx bench/broker/kcat-reads.bench.ts` after `npm run build` (the broker runs compiled).
 * KCAT_READS=<n> reads per broker (default 12).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { median } from '../stats.js';
import { cleanupAll, type Server, startKafkaServer, startSluice, tempDir } from './servers.js';

const RECORDS = 1_000_000;
const READS = Number(process.env.KCAT_READS ?? 12);
const TOPIC = 'kcat-reads';

interface Read {
  recordsPerSecond: number;
  fetches: number;
  answeredMs: number;
  queueFullMs: number;
}

/** Splits kcat's debug=fetch log: Fetch sent → records enqueued, and enqueued → the next Fetch sent. */
function splitLog(log: string): Omit<Read, 'recordsPerSecond'> {
  let fetches = 0;
  let answeredMs = 0;
  let queueFullMs = 0;
  let sentAt: number | null = null;
  let enqueuedAt: number | null = null;
  for (const line of log.split('\n')) {
    const at = /^%7\|([\d.]+)\|/.exec(line);
    if (!at) continue;
    const t = Number(at[1]) * 1000;
    if (line.includes(`Fetch topic ${TOPIC} `)) {
      if (enqueuedAt !== null) queueFullMs += t - enqueuedAt;
      sentAt = t;
      fetches++;
    } else if (line.includes('Enqueue') && sentAt !== null) {
      answeredMs += t - sentAt;
      enqueuedAt = t;
    }
  }
  return { fetches, answeredMs, queueFullMs };
}

function read(bootstrap: string, dir: string, i: number): Read {
  const logFile = path.join(dir, `read-${i}.log`);
  const t0 = performance.now();
  const last = execFileSync('bash', [
    '-c',
    `kcat -C -b ${bootstrap} -t ${TOPIC} -o 0 -c ${RECORDS} -f '%o\\n' -X debug=fetch 2>${logFile} | tail -1`,
  ])
    .toString()
    .trim();
  const ms = performance.now() - t0;
  if (Number(last) !== RECORDS - 1) throw new Error(`kcat from ${bootstrap} ended at offset ${last}`);
  return { recordsPerSecond: (RECORDS / ms) * 1000, ...splitLog(fs.readFileSync(logFile, 'utf8')) };
}

const servers: Server[] = [];
try {
  const dir = tempDir('kcat-reads-');
  const input = path.join(dir, 'records.txt');
  fs.writeFileSync(input, `${'x'.repeat(100)}\n`.repeat(RECORDS));
  const loadStart = loadavg()[0];
  servers.push(await startSluice('async'), await startKafkaServer('async'));
  for (const s of servers) {
    const bootstrap = `127.0.0.1:${s.port}`;
    execFileSync('kcat', ['-P', '-b', bootstrap, '-t', TOPIC, '-l', '-X', 'acks=1', input]);
    const end = execFileSync('kcat', ['-Q', '-b', bootstrap, '-t', `${TOPIC}:0:-1`]).toString();
    if (!end.includes(`offset ${RECORDS}`)) throw new Error(`${s.name} holds ${end.trim()}`);
    read(bootstrap, dir, -1); // warm-up: the JVM's JIT, the page cache
  }
  const reads = new Map<Server, Read[]>(servers.map((s) => [s, []]));
  for (let i = 0; i < READS; i++) {
    for (const s of servers) {
      reads.get(s)?.push(read(`127.0.0.1:${s.port}`, dir, i));
      process.stdout.write(`\r  read ${i + 1}/${READS}`);
    }
  }
  const loadEnd = loadavg()[0];
  console.log(
    `\n\n${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${READS} reads of ${RECORDS} records of 100 B per broker, in turns; load average (1 min) ${loadStart.toFixed(2)} at the start, ${loadEnd.toFixed(2)} at the end\n`,
  );
  console.log(
    '| broker | records/s, median | slowest / fastest read | Fetches per read | Fetch → enqueued, median total (ms) | enqueued → next Fetch, median total (ms) | reads with > 100 ms of queue full |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const m = (x: number) => `${(x / 1e6).toFixed(2)} M`;
  for (const [s, rs] of reads) {
    const rates = rs.map((r) => r.recordsPerSecond);
    console.log(
      `| ${s.name} | ${m(median(rates))} | ${m(Math.min(...rates))} / ${m(Math.max(...rates))} | ${median(rs.map((r) => r.fetches))} | ${median(rs.map((r) => r.answeredMs)).toFixed(0)} | ${median(rs.map((r) => r.queueFullMs)).toFixed(0)} | ${rs.filter((r) => r.queueFullMs > 100).length} of ${rs.length} |`,
    );
  }
  const [sluice, kafka] = servers.map((s) => median((reads.get(s) ?? []).map((r) => r.recordsPerSecond)));
  console.log(`\nSluice ÷ Kafka (medians): ${(sluice / kafka).toFixed(2)}x`);
} finally {
  for (const s of servers) await s.stop().catch(() => undefined);
  cleanupAll();
}
