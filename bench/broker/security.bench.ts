/**
 * The broker's throughput over PLAINTEXT, SSL and SASL_SSL (SCRAM-SHA-512) listeners, in one run, so the
 * cost of TLS and of SASL shows as a ratio against plaintext on the same machine.
 *
 *   npm run bench:security
 *
 * Env: BENCH_RECORDS (default 300,000 records of 1 KiB), BENCH_REPS (3, median).
 * One broker (in memory durability, in this process) with the three listeners; kcat (librdkafka) is the load
 * driver: `kcat -P -l file` (acks=1) to produce, `kcat -C -c N -e` to read back. Certificates are made by
 * openssl for the run (test/helpers/certs.ts) and removed after.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Broker } from '../../src/broker/broker.js';
import { makeTestCerts } from '../../test/helpers/certs.js';
import { median } from '../stats.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 300_000);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const PAYLOAD = 1024;

function kcat(args: string[]): Promise<{ ms: number; stdoutBytes: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = 0;
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.length;
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve({ ms: performance.now() - started, stdoutBytes: out })
        : reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${err.slice(-500)}`)),
    );
  });
}

async function main(): Promise<void> {
  const certs = makeTestCerts();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-security-'));
  const file = path.join(dir, 'records.txt');
  const line = `${'x'.repeat(PAYLOAD - 1)}\n`;
  fs.writeFileSync(file, line.repeat(RECORDS));
  const broker = new Broker(
    {
      durability: 'memory',
      listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      security: {
        tls: { certFile: certs.brokerCert, keyFile: certs.brokerKey },
        users: { bench: 'bench-secret' },
      },
    },
    { logger: pino({ level: 'warn' }) },
  );
  await broker.start();
  const conf: Record<string, string[]> = {
    PLAINTEXT: [],
    SSL: ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.ca}`],
    SASL_SSL: [
      '-X',
      'security.protocol=SASL_SSL',
      '-X',
      `ssl.ca.location=${certs.ca}`,
      '-X',
      'sasl.mechanism=SCRAM-SHA-512',
      '-X',
      'sasl.username=bench',
      '-X',
      'sasl.password=bench-secret',
    ],
  };
  const rows: Array<{ listener: string; produce: number; consume: number }> = [];
  try {
    for (const listener of Object.keys(conf)) {
      const { port } = broker.listenerAddress(listener);
      const base = ['-b', `127.0.0.1:${port}`, ...conf[listener]];
      const produce: number[] = [];
      const consume: number[] = [];
      for (let rep = 0; rep < REPS; rep++) {
        const topic = `bench-${listener.toLowerCase()}-${rep}`;
        produce.push((await kcat([...base, '-P', '-t', topic, '-p', '0', '-X', 'acks=1', '-l', file])).ms);
        const read = await kcat([
          ...base,
          '-C',
          '-t',
          topic,
          '-p',
          '0',
          // Offset 0, not "beginning": see kcatConsume in broker.bench.ts (librdkafka's late lookup).
          '-o',
          '0',
          '-c',
          String(RECORDS),
          '-e',
          '-q',
        ]);
        // A rate is reported only for a complete read-back.
        if (read.stdoutBytes !== RECORDS * PAYLOAD) {
          throw new Error(`${listener}: read back ${read.stdoutBytes} bytes, expected ${RECORDS * PAYLOAD}`);
        }
        consume.push(read.ms);
      }
      rows.push({ listener, produce: median(produce), consume: median(consume) });
    }
  } finally {
    await broker.stop(1_000);
    fs.rmSync(dir, { recursive: true, force: true });
    certs.cleanup();
  }
  const mibs = (ms: number) => (RECORDS * PAYLOAD) / 1048576 / (ms / 1000);
  const plain = rows[0];
  process.stdout.write(
    `\nBroker throughput by listener: ${RECORDS} records x ${PAYLOAD} B, kcat, median of ${REPS}, ${os.cpus().length} CPUs\n\n`,
  );
  process.stdout.write(
    '| listener | produce MiB/s | vs plaintext | consume MiB/s | vs plaintext |\n| --- | --- | --- | --- | --- |\n',
  );
  for (const r of rows) {
    process.stdout.write(
      `| ${r.listener} | ${mibs(r.produce).toFixed(1)} | ${(plain.produce / r.produce).toFixed(2)} | ${mibs(r.consume).toFixed(1)} | ${(plain.consume / r.consume).toFixed(2)} |\n`,
    );
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
