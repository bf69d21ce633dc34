import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { Producer } from '../../src/client/producer.js';
import { LagMonitor } from '../../src/monitor/monitor.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { freePort } from '../helpers/burrow.js';

const run = promisify(execFile);
let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
  const cluster = new Cluster({ brokers: [broker.bootstrap] });
  await new Admin({ cluster }).createTopics([{ topic: 'cli-orders', numPartitions: 2 }]);
  const producer = new Producer({ cluster, lingerMs: 0 });
  await producer.send(
    Array.from({ length: 700 }, (_, i) => ({ topic: 'cli-orders', partition: i % 2, value: 'x' })),
  );
  await producer.close();
  await new ConsumerClient({ cluster, groupId: 'cli-group' }).commit([
    { topic: 'cli-orders', partition: 0, offset: 10n },
    { topic: 'cli-orders', partition: 1, offset: 20n },
  ]);
  cluster.close();
});

afterAll(async () => {
  await broker?.stop();
});

describe('sluice lag (built CLI)', () => {
  it.skipIf(!existsSync('dist/cli/main.js'))(
    'prints lag, status and advice; exits 2 when critical',
    async () => {
      const args = [
        'bin/sluice.js',
        'lag',
        '--brokers',
        broker.bootstrap,
        '--samples',
        '2',
        '--interval',
        '100',
        '--group',
        '^cli-',
      ];
      const text = await run(process.execPath, args).then(
        () => {
          throw new Error('expected exit code 2 (critical)');
        },
        (err: { code: number; stdout: string }) => {
          expect(err.code).toBe(2);
          return err.stdout;
        },
      );
      expect(text).toMatch(/^total lag 670, status critical/);
      expect(text).toMatch(/cli-group\s+Empty\s+0\s+670\s/);
      expect(text).toMatch(/\[critical\] cli-group: consumer stopped|\[info\] cli-group/);

      // Under the threshold now, but nobody consumes and the commits do not move: STOP, still critical.
      const json = await run(process.execPath, [...args, '--json', '--critical-lag', '1000']).catch(
        (err: { code: number; stdout: string }) => {
          expect(err.code).toBe(2);
          return err;
        },
      );
      const out = JSON.parse(json.stdout);
      expect(out.lag.total_lag).toBe(670);
      expect(out.lag.groups[0].window_status).toBe('ERR');
      expect(out.lag.groups[0].reasons.join(' ')).toMatch(/2 partition\(s\) STOP/);
      expect(out.lag.groups[0].reasons.join(' ')).not.toMatch(/total lag/);
      expect(out.lag.partitions.map((p: { lag: number }) => p.lag)).toEqual([340, 330]);
      expect(out.lag.partitions[0].lag_seconds_method).toBe('exact');
    },
  );

  it.skipIf(!existsSync('dist/cli/main.js'))('rejects a bad flag with a reason', async () => {
    await expect(run(process.execPath, ['bin/sluice.js', 'lag', '--samples', 'x'])).rejects.toMatchObject({
      stderr: expect.stringMatching(/--samples must be a positive integer \(got "x"\)/),
    });
  });
});

describe('collection failures', () => {
  it('keeps running when the cluster is unreachable and says so in status()', async () => {
    const port = await freePort();
    const monitor = new LagMonitor({
      brokers: [`127.0.0.1:${port}`],
      intervalMs: 100,
    });
    monitor.start();
    const deadline = Date.now() + 20_000;
    while (monitor.status().collection_failure === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await monitor.stop();
    expect(monitor.status().collection_failure?.error).toMatch(/no broker reachable|ECONNREFUSED/);
    expect(monitor.lag().collection.cycles).toBe(0);
  }, 30_000);
});
