/**
 * An idempotent librdkafka producer (enable.idempotence=true: acks=all, retries on) keeps producing
 * while the broker is killed with SIGKILL and restarted on the same port. The producer retries the
 * batches whose responses the kill swallowed; some of them were already written and fsynced. The
 * partition must end up with every key exactly once, in order. Regression: the broker kept producer
 * state only in memory, so after the restart such a retry was appended again (50 duplicated records
 * per run, one batch); it now rebuilds the state from the tail of the log at start-up.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { killChildren, run } from '../helpers/run.js';
import { describeWithTools, PYTHON, tools } from '../helpers/tools.js';
import { killBrokers, startBrokerProcess } from './broker-process.js';

const TOPIC = 'idem';
const dirs: string[] = [];
const producers = new Set<ReturnType<typeof spawn>>();
afterAll(() => {
  for (const p of producers) p.kill('SIGKILL');
  killBrokers();
  killChildren();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

const PRODUCER = path.join(import.meta.dirname, 'librdkafka_idempotent.py');

describeWithTools(
  'idempotent librdkafka producer across a broker kill -9 and restart',
  [tools.kcat(), tools.confluentKafka()],
  () => {
    it('sync: the producer rides out the crash; the partition holds every key once, in order', async () => {
      const dataDir = tempDir('sluice-broker-crash-idem-');
      // Port 0 first; the restart comes back on the port it was given, as clients expect.
      let broker = await startBrokerProcess(dataDir, 'sync');
      const port = broker.port;
      const count = 100_000;
      const producer = spawn(PYTHON, ['-u', PRODUCER, broker.bootstrap, TOPIC, String(count)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      producers.add(producer);
      let out = '';
      let stderr = '';
      let restarted: Promise<void> | undefined;
      producer.stderr.on('data', (d) => (stderr += d));
      producer.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        if (!restarted && /progress [2-9]\d{4}/.test(out)) {
          // Mid-stream, with batches in flight: kill -9, then come back on the same port.
          restarted = broker
            .kill9()
            .then(() => new Promise((r) => setTimeout(r, 200)))
            .then(() => startBrokerProcess(dataDir, 'sync', { port }))
            .then((b) => {
              broker = b;
            });
        }
      });
      const exitCode = await new Promise<number | null>((resolve) => producer.on('close', resolve));
      await restarted;
      expect(restarted, 'the broker was never killed: the producer finished first').toBeDefined();
      const done = /done (\d+) (\d+) (\d+)/.exec(out);
      expect(done, `producer output:\n${out}\n${stderr}`).not.toBeNull();
      expect(exitCode).toBe(0);
      expect(done!.slice(1).map(Number)).toEqual([count, 0, 0]);
      const { stdout } = await run(
        'kcat',
        [
          '-b',
          broker.bootstrap,
          '-X',
          'broker.address.family=v4',
          '-C',
          '-t',
          TOPIC,
          '-p',
          '0',
          '-o',
          'beginning',
          '-e',
          '-q',
          '-f',
          '%k\n',
        ],
        { timeoutMs: 20_000 },
      );
      const keys = stdout.split('\n').filter(Boolean);
      const duplicates = keys.length - new Set(keys).size;
      console.log(
        `[broker crash idempotent] ${count} records produced across a kill -9, ${keys.length} stored, ${duplicates} duplicated`,
      );
      expect(duplicates).toBe(0);
      expect(keys).toEqual(Array.from({ length: count }, (_, i) => `k${i}`));
      await broker.stop();
    }, 90_000);
  },
);
