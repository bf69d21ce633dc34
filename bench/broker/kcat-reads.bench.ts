/**
 * What sets `consume 100 B` (kcat) in bench:broker: the same read of 1,000,000 records of 100 B from
 * Sluice and from Kafka (one KRaft node), taken in turns, each with librdkafka's fetch and protocol log
 * (`-X debug=fetch,protocol`). The log splits each Fetch into the broker's answer (librdkafka's own
 * round-trip time, request sent to response received) and librdkafka parsing the response into its
 * queue, and shows the stalls where librdkafka stopped fetching because its queue was full. kcat's own
 * CPU time (with the `tail` it prints into) is taken with bash's `times`, the broker's from /proc.
 *
 * Run with `npx tsx bench/broker/kcat-reads.bench.ts` after `npm run build` (the broker runs compiled).
 * KCAT_READS=<n> reads per broker (default 12).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { median } from '../stats.js';
import { cleanupAll, cpuSeconds, type Server, startKafkaServer, startSluice, tempDir } from './servers.js';

const RECORDS = 1_000_000;
const READS = Number(process.env.KCAT_READS ?? 12);
const TOPIC = 'kcat-reads';

interface Read {
  recordsPerSecond: number;
  fetches: number;
  /** Mean per Fetch: librdkafka's round-trip time, request sent to whole response received. */
  answerMs: number;
  /** Mean per Fetch: response received to its records enqueued (librdkafka parsing). */
  parseMs: number;
  /** Time from "not fetchable: queue full" to fetching again. */
  queueFullMs: number;
  /** kcat's user + system CPU seconds, with the `tail` it prints into. */
  clientCpuS: number;
  /** The broker's CPU seconds during the read. */
  brokerCpuS: number;
}

/** Splits kcat's debug=fetch,protocol log into the broker's answers, the parsing and the queue-full stalls. */
function splitLog(log: string): Omit<Read, 'recordsPerSecond' | 'clientCpuS' | 'brokerCpuS'> {
  let fetches = 0;
  let answerMs = 0;
  let parseMs = 0;
  let queueFullMs = 0;
  let receivedAt: number | null = null;
  let fullAt: number | null = null;
  for (const line of log.split('\n')) {
    const at = /^%7\|([\d.]+)\|/.exec(line);
    if (!at) continue;
    const t = Number(at[1]) * 1000;
    const rtt = /Received FetchResponse .* rtt ([\d.]+)ms/.exec(line);
    if (rtt) {
      fetches++;
      answerMs += Number(rtt[1]);
      receivedAt = t;
    } else if (line.includes('Enqueue') && receivedAt !== null) {
      parseMs += t - receivedAt;
      receivedAt = null;
    } else if (/not fetchable: queued\.(min\.messages|max\.messages\.kbytes) exceeded/.test(line)) {
      fullAt = t;
    } else if (line.includes(' is fetchable') && fullAt !== null) {
      queueFullMs += t - fullAt;
      fullAt = null;
    }
  }
  return { fetches, answerMs: answerMs / fetches, parseMs: parseMs / fetches, queueFullMs };
}

function read(server: Server, dir: string, i: number): Read {
  const bootstrap = `127.0.0.1:${server.port}`;
  const logFile = path.join(dir, `read-${i}.log`);
  const cpu0 = cpuSeconds(server.pid);
  const t0 = performance.now();
  // `times` prints the shell's, then its children's, user and system time: the second line is kcat's and tail's.
  const [last, , children] = execFileSync('bash', [
    '-c',
    `kcat -C -b ${bootstrap} -t ${TOPIC} -o 0 -c ${RECORDS} -f '%o\\n' -X debug=fetch,protocol 2>${logFile} | tail -1; times`,
  ])
    .toString()
    .trim()
    .split('\n');
  const ms = performance.now() - t0;
  const brokerCpuS = cpuSeconds(server.pid) - cpu0;
  if (Number(last) !== RECORDS - 1) throw new Error(`kcat from ${bootstrap} ended at offset ${last}`);
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(
    ([, m, sec]) => Number(m) * 60 + Number(sec),
  );
  return {
    recordsPerSecond: (RECORDS / ms) * 1000,
    clientCpuS: seconds[0] + seconds[1],
    brokerCpuS,
    ...splitLog(fs.readFileSync(logFile, 'utf8')),
  };
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
    read(s, dir, -1); // warm-up: the JVM's JIT, the page cache
  }
  const reads = new Map<Server, Read[]>(servers.map((s) => [s, []]));
  for (let i = 0; i < READS; i++) {
    for (const s of servers) {
      reads.get(s)?.push(read(s, dir, i));
      process.stdout.write(`\r  read ${i + 1}/${READS}`);
    }
  }
  const loadEnd = loadavg()[0];
  console.log(
    `\n\n${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${READS} reads of ${RECORDS} records of 100 B per broker, in turns; load average (1 min) ${loadStart.toFixed(2)} at the start, ${loadEnd.toFixed(2)} at the end\n`,
  );
  console.log(
    '| broker | records/s, median | slowest / fastest read | Fetches per read | answer per Fetch (ms) | parse per Fetch (ms) | broker CPU per read (s) | kcat + tail CPU per read (s) | reads with a queue-full stall > 100 ms | longest stall (ms) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const m = (x: number) => `${(x / 1e6).toFixed(2)} M`;
  for (const [s, rs] of reads) {
    const rates = rs.map((r) => r.recordsPerSecond);
    const med = (f: (r: Read) => number, digits: number) => median(rs.map(f)).toFixed(digits);
    console.log(
      `| ${s.name} | ${m(median(rates))} | ${m(Math.min(...rates))} / ${m(Math.max(...rates))} | ${med((r) => r.fetches, 0)} | ${med((r) => r.answerMs, 2)} | ${med((r) => r.parseMs, 2)} | ${med((r) => r.brokerCpuS, 2)} | ${med((r) => r.clientCpuS, 2)} | ${rs.filter((r) => r.queueFullMs > 100).length} of ${rs.length} | ${Math.max(...rs.map((r) => r.queueFullMs)).toFixed(0)} |`,
    );
  }
  const [sluice, kafka] = servers.map((s) => median((reads.get(s) ?? []).map((r) => r.recordsPerSecond)));
  console.log(`\nSluice ÷ Kafka (medians): ${(sluice / kafka).toFixed(2)}x`);
} finally {
  for (const s of servers) await s.stop().catch(() => undefined);
  cleanupAll();
}
