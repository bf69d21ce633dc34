/**
 * `npm run bench:txn`: what a transaction costs. One librdkafka producer (confluent-kafka from PyPI)
 * writes 100-byte records to the embedded broker (a `sluice broker` child, durability async) for a fixed
 * time, first idempotent without transactions, then transactional with a commit every 1 s and every
 * 100 ms. Prints records/s and the ratio to the idempotent run, after checking that a read_committed
 * count of the topic matches what the producer had acknowledged. Then the same three runs with our
 * client's Producer: one loop over the two producers (ProducerAdapter).
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

type Mode = 'idempotent' | '1000' | '100';
const MODES: Mode[] = ['idempotent', '1000', '100'];
interface Run {
  records: number;
  seconds: number;
  transactions: number;
}
/** A producer under test: writes 100-byte records to `topic` for `seconds`, idempotent or committing every `mode` ms. */
interface ProducerAdapter {
  title: string;
  rate(bootstrap: string, topic: string, seconds: number, mode: Mode): Promise<Run>;
}

const librdkafka: ProducerAdapter = {
  title: 'librdkafka 2.16 producer',
  async rate(bootstrap, topic, seconds, mode) {
    const { stdout } = await run(python, [RATE, bootstrap, topic, String(seconds), mode], {
      timeoutMs: (seconds + 60) * 1000,
    });
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Run;
  },
};
const ours: ProducerAdapter = { title: "Sluice's Producer", rate: ourRate };

const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-bench-txn-'));
const broker = await startBrokerProcess(dataDir, 'async');
try {
  let librdkafkaBase: number | undefined;
  for (const [i, adapter] of [librdkafka, ours].entries()) {
    // A first run against a cold broker (JIT, topic creation) would be slower for reasons of its own.
    await adapter.rate(broker.bootstrap, `bench-txn-${i}-warm-up`, 2, 'idempotent');
    const rows: Array<{ mode: string; rate: number; transactions: number }> = [];
    for (const mode of MODES) {
      const topic = `bench-txn-${i}-${mode}`;
      const r = await adapter.rate(broker.bootstrap, topic, SECONDS, mode);
      await checkReadCommitted(topic, r.records);
      rows.push({
        mode:
          mode === 'idempotent' ? 'idempotent, no transactions' : `transactional, commit every ${mode} ms`,
        rate: r.records / r.seconds,
        transactions: r.transactions,
      });
    }
    printRows(
      `${adapter.title}, 100-byte records, ${SECONDS} s per run, embedded broker (async)`,
      rows,
      librdkafkaBase,
    );
    librdkafkaBase ??= rows[0].rate;
  }
} finally {
  await broker.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

/** The rate counts only what a read_committed reader gets: checked before reporting. */
async function checkReadCommitted(topic: string, acknowledged: number): Promise<void> {
  const { stdout } = await run(
    python,
    [CLIENT, 'consume', broker.bootstrap, topic, 'read_committed', String(acknowledged), '0'],
    { timeoutMs: 120_000 },
  );
  const seen = (JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { values: string[] }).values.length;
  if (seen !== acknowledged)
    throw new Error(`${topic}: ${acknowledged} acknowledged, ${seen} read_committed`);
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
async function ourRate(bootstrap: string, topic: string, seconds: number, mode: Mode): Promise<Run> {
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
