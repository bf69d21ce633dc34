/**
 * `npm run bench:txn`: what a transaction costs. One librdkafka producer (confluent-kafka from PyPI)
 * writes 100-byte records to the embedded broker (a `sluice broker` child, durability async) for a fixed
 * time, first idempotent without transactions, then transactional with a commit every 1 s and every
 * 100 ms. Prints records/s and the ratio to the idempotent run, after checking that a read_committed
 * count of the topic matches what the producer had acknowledged.
 *   SLUICE_TXN_BENCH_SECONDS (default 5) per run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
  const base = rows[0].rate;
  console.log(`\nlibrdkafka 2.16 producer, 100-byte records, ${SECONDS} s per run, embedded broker (async)`);
  console.log('| mode | records/s | transactions | vs idempotent |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.mode} | ${Math.round(r.rate)} | ${r.transactions} | ${(r.rate / base).toFixed(2)}× |`);
  }
} finally {
  await broker.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
