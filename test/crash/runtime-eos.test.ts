/**
 * Exactly-once across broker crashes, with OUR runtime: a `createExactlyOnceJob` (consume read_committed,
 * transform, produce the outputs and commit the input offsets in one transaction per commit interval)
 * runs in this process while the broker, a child process, is killed with SIGKILL and restarted on the
 * same port several times. A kill can land anywhere: outputs in the log without a marker, the
 * coordinator between prepare and complete, the group's offsets pending. The transform also throws
 * once for every 250th input, so transactions are aborted on purpose and the log always holds aborted
 * records. After every input's offset is committed, a read_committed reader of the output must see
 * each input's result exactly once and nothing of an aborted transaction (a read_uncommitted read
 * counts the aborted records that are there).
 * In `npm test`: 3 kills over 1,500 inputs. `npm run test:crash:txn` runs the long loop
 * (SLUICE_EOS_CRASH_CYCLES and SLUICE_EOS_CRASH_RECORDS set other sizes); figures in docs/compatibility.md.
 */
import type { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { fetchRecords } from '../../src/client/fetcher.js';
import { Producer } from '../../src/client/producer.js';
import { createExactlyOnceJob } from '../../src/consumer/exactly-once.js';
import type { ConsumerRuntime } from '../../src/consumer/runtime.js';
import { freePort } from '../helpers/burrow.js';
import { sleep, until } from '../suites/common.js';
import { type BrokerProcess, killBrokers, startBrokerProcess } from './broker-process.js';

const CYCLES = Number(process.env.SLUICE_EOS_CRASH_CYCLES ?? 3);
const RECORDS = Number(process.env.SLUICE_EOS_CRASH_RECORDS ?? 1500);
/** The transform throws the first time it sees every FAIL_EVERY-th input: an abort on purpose. */
const FAIL_EVERY = 250;
const INPUT = 'in';
const OUTPUT = 'out';

const dirs: string[] = [];
let job: ConsumerRuntime | undefined;
afterAll(async () => {
  await job?.stop().catch(() => undefined);
  killBrokers();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every value of the one-partition `topic`, read from offset 0 to the end under an isolation level. */
async function readAll(bootstrap: string, isolationLevel: 0 | 1): Promise<string[]> {
  const cluster = new Cluster({ brokers: [bootstrap], clientId: 'eos-crash-reader' });
  const values: string[] = [];
  try {
    let offset = 0n;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await fetchRecords(cluster, {
        partitions: [{ topic: OUTPUT, partition: 0, offset, maxBytes: 1 << 20 }],
        maxBytes: 1 << 20,
        maxWaitMs: 0,
        minBytes: 0,
        isolationLevel,
      });
      const p = res.partitions[0];
      if (!p || p.error) throw new Error(`fetch of ${OUTPUT} failed: ${String(p?.error)}`);
      values.push(...p.records.map((r) => r.value?.toString() ?? ''));
      offset = p.nextOffset;
      if (offset >= p.highWatermark) return values;
      // read_committed stops at the last stable offset: the last commit's markers are on their way.
      if (offset >= p.lastStableOffset) {
        if (Date.now() > deadline)
          throw new Error(
            `${OUTPUT}: the last stable offset stayed at ${p.lastStableOffset} below ${p.highWatermark}`,
          );
        await sleep(50);
      }
    }
  } finally {
    cluster.close();
  }
}

it(
  `exactly-once job (our runtime), ${CYCLES} broker kill -9s: a read_committed reader sees each input's result once, nothing aborted`,
  async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-eos-crash-'));
    dirs.push(dataDir);
    const port = await freePort();
    let broker: BrokerProcess = await startBrokerProcess(dataDir, 'sync', { port });
    const brokers = [broker.bootstrap];
    const admin = new Admin({ brokers });
    await admin.createTopics([
      { topic: INPUT, numPartitions: 3 },
      { topic: OUTPUT, numPartitions: 1 },
    ]);
    admin.cluster.close();
    const inputs = Array.from({ length: RECORDS }, (_, i) => `v${i}`);
    const seed = new Producer({ brokers, lingerMs: 5 });
    await seed.send(inputs.map((value, i) => ({ topic: INPUT, key: `k${i % 11}`, value })));
    await seed.close();

    const failed = new Set<string>();
    const eos = createExactlyOnceJob({
      brokers,
      groupId: 'eos-crash-group',
      topics: [INPUT],
      transactionalId: 'eos-crash-job',
      commitIntervalMs: 100,
      maxInFlight: 16,
      sessionTimeoutMs: 10_000,
      transform: (record) => {
        const value = record.value?.toString() ?? '';
        if (Number(value.slice(1)) % FAIL_EVERY === 0 && !failed.has(value)) {
          failed.add(value);
          throw new Error(`transform of ${value} fails once, on purpose`);
        }
        return [{ topic: OUTPUT, key: record.key, value: `${value}!` }];
      },
    });
    job = eos;
    // What the job went through, shown when it stalls.
    const events: string[] = [];
    const note = (what: string) => (detail: unknown) =>
      events.push(
        `${new Date().toISOString()} ${what} ${String((detail as { error?: unknown })?.error ?? detail)}`,
      );
    const emitter = eos as unknown as EventEmitter;
    for (const e of ['abort', 'commitError', 'fetchError', 'sourceError', 'gaveUp', 'revoked', 'assigned'])
      emitter.on(e, note(e));
    const committed = () => eos.stats().partitions.reduce((sum, p) => sum + Number(p.committed ?? 0), 0);
    const awaitCommitted = (n: number, what: string, timeoutMs: number) =>
      until(what, () => committed() >= n, timeoutMs).catch((err: unknown) => {
        const stats = JSON.stringify(eos.stats(), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
        throw new Error(`${String(err)}\nstats: ${stats}\nevents:\n${events.slice(-40).join('\n')}`);
      });
    await eos.start();
    let kills = 0;
    for (; kills < CYCLES; kills++) {
      const at = Math.floor(((kills + 1) * RECORDS) / (CYCLES + 1));
      await awaitCommitted(at, `the job to commit ${at} inputs before kill ${kills + 1}`, 60_000);
      await broker.kill9();
      broker = await startBrokerProcess(dataDir, 'sync', { port });
    }
    await awaitCommitted(RECORDS, `the job to commit all ${RECORDS} inputs`, 120_000);
    const aborts = eos.stats().aborts;
    await eos.stop();
    job = undefined;

    // The last commit's markers may still be on their way: the LSO reaches the end once they are.
    const readCommitted = await readAll(broker.bootstrap, 1);
    const everything = await readAll(broker.bootstrap, 0);
    const seen = new Set(readCommitted);
    const duplicates = readCommitted.length - seen.size;
    const missing = inputs.filter((v) => !seen.has(`${v}!`)).length;
    console.log(
      `[runtime exactly-once crash] ${RECORDS} inputs, ${kills} kill -9s: ${readCommitted.length} outputs read_committed, ${duplicates} duplicated, ${missing} missing; ${everything.length - readCommitted.length} aborted records in the log (read_uncommitted ${everything.length}); job: ${aborts} aborts`,
    );
    expect({ duplicates, missing }).toEqual({ duplicates: 0, missing: 0 });
    expect([...readCommitted].sort()).toEqual(inputs.map((v) => `${v}!`).sort());
    // Aborted transactions did leave records in the log, and none of them reached the reader above.
    expect(aborts).toBeGreaterThanOrEqual(Math.floor((RECORDS - 1) / FAIL_EVERY) + 1);
    expect(everything.length).toBeGreaterThan(readCommitted.length);
    await broker.stop();
  },
  Math.max(120_000, RECORDS * 40),
);
