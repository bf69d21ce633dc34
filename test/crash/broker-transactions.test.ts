/**
 * Exactly-once across broker crashes: a librdkafka consume-transform-produce job (each poll batch's
 * outputs and its input offsets in one transaction) runs while the broker is killed with SIGKILL and
 * restarted on the same port, several times. Every kill can land in the middle of a transaction: its
 * records are in the log without a marker, the coordinator may be between prepare and complete, the
 * group's offsets may be pending. After the job finishes, a read_committed reader of the output must
 * see every input's result exactly once (no duplicate, none missing) and nothing of an aborted
 * transaction; the job aborts every 5th transaction on purpose, so the log always holds aborted records
 * (a read_uncommitted reader counts them).
 * In `npm test`: 3 kills over 1,500 inputs. `npm run test:crash:txn` runs the long loop
 * (SLUICE_TXN_CRASH_CYCLES and SLUICE_TXN_CRASH_RECORDS set other sizes); figures in docs/compatibility.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { killChildren, run } from '../helpers/run.js';
import { describeWithTools, pythonRuntimes } from '../helpers/tools.js';
import { type BrokerProcess, killBrokers, startBrokerProcess } from './broker-process.js';

const CYCLES = Number(process.env.SLUICE_TXN_CRASH_CYCLES ?? 3);
const RECORDS = Number(process.env.SLUICE_TXN_CRASH_RECORDS ?? 1500);
/** The job aborts every 5th transaction on purpose, so the output log always holds aborted records. */
const ABORT_EVERY = 5;
const JOB = path.join(import.meta.dirname, 'librdkafka_eos.py');
const CLIENT = path.join(import.meta.dirname, '..', 'compat', 'python', 'transactions.py');

const dirs: string[] = [];
const jobs = new Set<ReturnType<typeof spawn>>();
afterAll(() => {
  for (const j of jobs) j.kill('SIGKILL');
  killBrokers();
  killChildren();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const pypi = pythonRuntimes().find((r) => r.label === 'pypi');

describeWithTools(
  'exactly-once consume-transform-produce (librdkafka) across broker kill -9 loops',
  pypi ? [pypi.confluentKafka] : [],
  () => {
    it(
      `${CYCLES} kills: a read_committed reader sees each input's result exactly once, nothing aborted`,
      async () => {
        const python = pypi?.python ?? 'python3';
        const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-txn-crash-'));
        dirs.push(dataDir);
        // Port 0 first; each restart comes back on the port it was given, as clients expect.
        let broker: BrokerProcess = await startBrokerProcess(dataDir, 'sync');
        const port = broker.port;
        await run(python, [CLIENT, 'produce', broker.bootstrap, 'source', 'in', `commit:${RECORDS}`], {
          timeoutMs: 60_000,
        });
        const job = spawn(
          python,
          [
            '-u',
            JOB,
            broker.bootstrap,
            'eos-job',
            'eos-group',
            'in',
            'out',
            String(RECORDS),
            String(ABORT_EVERY),
          ],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        jobs.add(job);
        // A job that prints nothing for a minute is stuck: kill it, so the failure shows its output instead of a timeout.
        const stuck = setTimeout(() => job.kill('SIGKILL'), 60_000);
        let out = '';
        let stderr = '';
        let kills = 0;
        let crashing: Promise<void> = Promise.resolve();
        job.stderr.on('data', (d) => (stderr += d));
        job.stdout.on('data', (d: Buffer) => {
          stuck.refresh();
          out += d.toString('utf8');
          const progress = [...out.matchAll(/progress (\d+)/g)].pop();
          const committed = progress ? Number(progress[1]) : 0;
          // Kill at evenly spaced points of the input, each time the job is mid-stream.
          if (kills < CYCLES && committed >= ((kills + 1) * RECORDS) / (CYCLES + 1)) {
            kills++;
            crashing = crashing
              .then(() => broker.kill9())
              .then(() => startBrokerProcess(dataDir, 'sync', { port }))
              .then((b) => {
                broker = b;
              });
          }
        });
        const exitCode = await new Promise<number | null>((resolve) => job.on('close', resolve));
        clearTimeout(stuck);
        await crashing;
        expect(exitCode, `job output:\n${out}\n${stderr}`).toBe(0);
        expect(kills).toBe(CYCLES);
        const done = /done (\d+) (\d+) (\d+) (\d+)/.exec(out);
        expect(done, out).not.toBeNull();
        const read = async (isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> => {
          const { stdout } = await run(
            python,
            [CLIENT, 'consume', broker.bootstrap, 'out', isolation, String(RECORDS), '3'],
            { timeoutMs: 90_000 },
          );
          return JSON.parse(stdout.trim().split('\n').pop() ?? '{}').values;
        };
        const committed = await read('read_committed');
        const everything = await read('read_uncommitted');
        const expected = Array.from({ length: RECORDS }, (_, i) => `source-0.${i}-commit!`);
        const seen = new Set(committed);
        const duplicates = committed.length - seen.size;
        const missing = expected.filter((v) => !seen.has(v)).length;
        // The job reprocesses an aborted transaction's inputs, so an aborted record that leaked into a
        // read_committed read shows up as a duplicate; the log's aborted records are the surplus of a
        // read_uncommitted read.
        console.log(
          `[broker crash transactions] ${RECORDS} inputs, ${kills} kill -9s: ${committed.length} outputs read_committed, ${duplicates} duplicated, ${missing} missing; ${everything.length - committed.length} aborted records in the log (read_uncommitted ${everything.length}); job: ${done?.[2]} commits, ${done?.[3]} aborts, ${done?.[4]} restarts`,
        );
        expect({ duplicates, missing }).toEqual({ duplicates: 0, missing: 0 });
        expect(committed).toEqual(expected);
        expect(Number(done?.[3])).toBeGreaterThan(0);
        expect(everything.length).toBeGreaterThan(committed.length);
        await broker.stop();
      },
      Math.max(240_000, RECORDS * 30),
    );
  },
);
