/**
 * `npm run bench:txn`: what a transaction costs. One librdkafka producer (confluent-kafka from PyPI)
 * writes 100-byte records to the embedded broker (a `sluice broker` child, durability async) for a fixed
 * time, first idempotent without transactions, then transactional with a commit every 1 s and every
 * 100 ms. Prints records/s and the ratio to the idempotent run, after checking that a read_committed
 * count of the topic matches what the producer had acknowledged. Then the same three runs with our
 * client's Producer (idempotent, then transactional), checked the same way.
 *   SLUICE_TXN_BENCH_SECONDS (default 5) per run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Producer } from '../../src/client/producer.js';
import { startBrokerProcess } from '../../test/crash/broker-process.js';
import { run } from '../../test/helpers/run.js';
import { pythonRuntimes } from '../../test/helpers/tools.js';

const SECONDS = Number(process.env.SLUICE_TXN_BENCH_SECONDS ?? 5);
const RATE = path.join(import.meta.dirname, 'txn_rate.py');
const CLIENT = path.join(import.meta.dirname, '..', '..', 'test', 'compat', 'python', 'transactions.py');

const pypi = pythonRuntimes().find((r) => r.label === 'pypi');
if (!pypi?.confluentKafka.available) {
  console.error(`bench:txn needs confluent-kafka from PyPI: ${pypi?.confluentKafka.detail ?? 'run .ci/run'}`);
  process.exit(1);
}
const python = pypi.python;
const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-bench-txn-'));
const broker = await startBrokerProcess(dataDir, 'async');
try {
  // A first run against a cold broker (JIT, topic creation) would be slower for reasons of its own.
  await run(python, [RATE, broker.bootstrap, 'bench-txn-warm-up', '2', 'idempotent'], { timeoutMs: 60_000 });
  const rows: Array<{ mode: string; rate: number; transactions: number }> = [];
  for (const mode of ['idempotent', '1000', '100']) {
    const topic = `bench-txn-${mode}`;
    const { stdout } = await run(python, [RATE, broker.bootstrap, topic, String(SECONDS), mode], {
      timeoutMs: (SECONDS + 60) * 1000,
    });
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
      records: number;
      seconds: number;
      transactions: number;
    };
    if (mode !== 'idempotent') {
      // The rate counts only what a read_committed reader gets: check before reporting.
      const { stdout: read } = await run(
        python,
        [CLIENT, 'consume', broker.bootstrap, topic, 'read_committed', String(r.records), '0'],
        { timeoutMs: 120_000 },
      );
      const seen = (JSON.parse(read.trim().split('\n').pop() ?? '{}') as { values: string[] }).values.length;
      if (seen !== r.records) throw new Error(`${topic}: ${r.records} acknowledged, ${seen} read_committed`);
    }
    rows.push({
      mode: mode === 'idempotent' ? 'idempotent, no transactions' : `transactional, commit every ${mode} ms`,
      rate: r.records / r.seconds,
      transactions: r.transactions,
    });
  }
  printRows(
    `librdkafka 2.16 producer, 100-byte records, ${SECONDS} s per run, embedded broker (async)`,
    rows,
  );
  await ourRate(broker.bootstrap, 'bench-txn-ours-warm-up', 2, 'idempotent');
  const ours: typeof rows = [];
  for (const mode of ['idempotent', '1000', '100'] as const) {
    const topic = `bench-txn-ours-${mode}`;
    const r = await ourRate(broker.bootstrap, topic, SECONDS, mode);
    if (mode !== 'idempotent') {
      const { stdout: read } = await run(
        python,
        [CLIENT, 'consume', broker.bootstrap, topic, 'read_committed', String(r.records), '0'],
        { timeoutMs: 120_000 },
      );
      const seen = (JSON.parse(read.trim().split('\n').pop() ?? '{}') as { values: string[] }).values.length;
      if (seen !== r.records) throw new Error(`${topic}: ${r.records} acknowledged, ${seen} read_committed`);
    }
    ours.push({
      mode: mode === 'idempotent' ? 'idempotent, no transactions' : `transactional, commit every ${mode} ms`,
      rate: r.records / r.seconds,
      transactions: r.transactions,
    });
  }
  printRows(`Sluice's Producer, 100-byte records, ${SECONDS} s per run, same broker`, ours, rows[0].rate);
} finally {
  await broker.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

function printRows(
  title: string,
  rows: Array<{ mode: string; rate: number; transactions: number }>,
  librdkafkaBase?: number,
): void {
  const base = rows[0].rate;
  console.log(`\n${title}`);
  const vsRdk = librdkafkaBase === undefined ? '' : ' vs librdkafka idempotent |';
  console.log(`| mode | records/s | transactions | vs idempotent |${vsRdk}`);
  console.log(`| --- | ---: | ---: | ---: |${librdkafkaBase === undefined ? '' : ' ---: |'}`);
  for (const r of rows) {
    const extra = librdkafkaBase === undefined ? '' : ` ${(r.rate / librdkafkaBase).toFixed(2)}× |`;
    console.log(
      `| ${r.mode} | ${Math.round(r.rate)} | ${r.transactions} | ${(r.rate / base).toFixed(2)}× |${extra}`,
    );
  }
}

/**
 * Our Producer writing 100-byte records for `seconds`: idempotent, or transactional with a commit every
 * `mode` ms (the last, partial transaction is committed too). Records are what the broker acknowledged.
 */
async function ourRate(
  bootstrap: string,
  topic: string,
  seconds: number,
  mode: 'idempotent' | '1000' | '100',
): Promise<{ records: number; seconds: number; transactions: number }> {
  const transactional = mode !== 'idempotent';
  const producer = new Producer({
    brokers: [bootstrap],
    idempotent: true,
    ...(transactional ? { transactionalId: `bench-${topic}` } : {}),
  });
  const value = Buffer.alloc(100, 120);
  let transactions = 0;
  try {
    if (transactional) {
      await producer.initTransactions();
      producer.beginTransaction();
    }
    const interval = transactional ? Number(mode) : Number.POSITIVE_INFINITY;
    const started = performance.now();
    const end = started + seconds * 1000;
    let lastCommit = started;
    for (let now = started; now < end; now = performance.now()) {
      await producer.produce({ topic, value });
      if (now - lastCommit >= interval) {
        await producer.commitTransaction();
        transactions++;
        producer.beginTransaction();
        lastCommit = performance.now();
      }
    }
    if (transactional) {
      await producer.commitTransaction();
      transactions++;
    } else await producer.flush();
    return {
      records: producer.stats().delivered,
      seconds: (performance.now() - started) / 1000,
      transactions,
    };
  } finally {
    await producer.close();
  }
}
