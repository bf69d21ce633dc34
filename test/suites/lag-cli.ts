import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { GroupMember } from '../../src/client/group.js';
import { Producer } from '../../src/client/producer.js';
import { LagMonitor } from '../../src/monitor/monitor.js';
import type { LagReport, PartitionReport } from '../../src/monitor/reports.js';
import { kafkaCli, kafkaTool } from '../helpers/kafka.js';
import { type Target, uniqueName } from '../helpers/targets.js';
import { describeWithTools } from '../helpers/tools.js';

/**
 * `sluice lag` (the built CLI) and the lag monitor against a broker: the CLI's table, status and exit
 * code, and figures that agree exactly with Kafka's own `kafka-consumer-groups --describe` on the same
 * group, on the embedded broker and on the Kafka cluster.
 */

const exec = promisify(execFile);
const built = existsSync('dist/cli/main.js');

/** `sluice lag` exits 2 when critical: both exit codes are answers here, so resolve with either. */
async function sluiceLag(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(process.execPath, ['bin/sluice.js', 'lag', ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
}

/** One row of `kafka-consumer-groups --describe`. */
interface DescribedRow {
  topic: string;
  partition: number;
  current: number;
  logEnd: number;
  lag: number;
}

/** Kafka's own view of a group: the table of `kafka-consumer-groups --describe --group G`. */
async function kafkaDescribe(
  bootstrap: string,
  group: string,
): Promise<{ text: string; rows: DescribedRow[] }> {
  const { stdout, stderr } = await kafkaCli('kafka-consumer-groups', [
    '--bootstrap-server',
    bootstrap,
    '--describe',
    '--group',
    group,
  ]);
  const rows: DescribedRow[] = [];
  for (const line of stdout.split('\n')) {
    const cells = line.trim().split(/\s+/);
    if (cells[0] !== group) continue;
    const [, topic, partition, current, logEnd, lag] = cells;
    rows.push({
      topic,
      partition: Number(partition),
      current: Number(current),
      logEnd: Number(logEnd),
      lag: Number(lag),
    });
  }
  rows.sort((a, b) => a.partition - b.partition);
  // The tool says on stderr when the group has no active members; the table is on stdout.
  return { text: `${stderr}${stdout}`, rows };
}

const asRows = (parts: PartitionReport[]): DescribedRow[] =>
  parts
    .map((p) => ({
      topic: p.topic,
      partition: p.partition,
      current: p.committed_offset as number,
      logEnd: p.log_end_offset,
      lag: p.lag as number,
    }))
    .sort((a, b) => a.partition - b.partition);

export function lagCliSuite(target: Target): void {
  const cliTopic = uniqueName('cli-orders');
  const cliGroup = uniqueName('cli-group');

  beforeAll(async () => {
    const cluster = new Cluster({ brokers: target().bootstrap.split(',') });
    try {
      await new Admin({ cluster }).createTopics([{ topic: cliTopic, numPartitions: 2 }]);
      const producer = new Producer({ cluster, lingerMs: 0 });
      await producer.send(
        Array.from({ length: 700 }, (_, i) => ({ topic: cliTopic, partition: i % 2, value: 'x' })),
      );
      await producer.close();
      await new ConsumerClient({ cluster, groupId: cliGroup }).commit([
        { topic: cliTopic, partition: 0, offset: 10n },
        { topic: cliTopic, partition: 1, offset: 20n },
      ]);
    } finally {
      cluster.close();
    }
  });

  it.skipIf(!built)('sluice lag prints lag, status and advice; exits 2 when critical', async () => {
    const args = [
      '--brokers',
      target().bootstrap,
      '--samples',
      '2',
      '--interval',
      '100',
      '--group',
      `^${cliGroup}$`,
    ];
    const text = await sluiceLag(args);
    expect(text.code, text.stderr).toBe(2);
    expect(text.stdout).toMatch(/^total lag 670, status critical/);
    expect(text.stdout).toMatch(new RegExp(`${cliGroup}\\s+Empty\\s+0\\s+670\\s`));
    expect(text.stdout).toMatch(
      new RegExp(`\\[critical\\] ${cliGroup}: consumer stopped|\\[info\\] ${cliGroup}`),
    );

    // Under the threshold now, but nobody consumes and the commits do not move: STOP, still critical.
    const json = await sluiceLag([...args, '--json', '--critical-lag', '1000']);
    expect(json.code, json.stderr).toBe(2);
    const out = JSON.parse(json.stdout);
    expect(out.lag.total_lag).toBe(670);
    expect(out.lag.groups[0].window_status).toBe('ERR');
    expect(out.lag.groups[0].reasons.join(' ')).toMatch(/2 partition\(s\) STOP/);
    expect(out.lag.groups[0].reasons.join(' ')).not.toMatch(/total lag/);
    expect(out.lag.partitions.map((p: { lag: number }) => p.lag)).toEqual([340, 330]);
    expect(out.lag.partitions[0].lag_seconds_method).toBe('exact');
  });

  it.skipIf(!built)('sluice lag rejects a bad flag with a reason', async () => {
    const r = await sluiceLag(['--brokers', target().bootstrap, '--samples', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--samples must be a whole number >= 1 \(got "x"\)/);
  });

  describeWithTools("agreement with Kafka's kafka-consumer-groups --describe", [kafkaTool()], () => {
    const topic = uniqueName('figures');
    const group = uniqueName('figures-group');
    // Uneven on purpose: one partition fully consumed, one untouched, two part-way.
    const produced = [40, 25, 60, 10];
    const consumed = [12, 25, 7, 0];

    beforeAll(async () => {
      const cluster = new Cluster({ brokers: target().bootstrap.split(','), clientId: 'figures' });
      const member = new GroupMember({ cluster, groupId: group, topics: [topic], sessionTimeoutMs: 10_000 });
      try {
        await new Admin({ cluster }).createTopics([{ topic, numPartitions: produced.length }]);
        const producer = new Producer({ cluster, lingerMs: 0 });
        await producer.send(
          produced.flatMap((n, partition) =>
            Array.from({ length: n }, (_, i) => ({ topic, partition, value: `p${partition}-${i}` })),
          ),
        );
        await producer.close();
        // A real member of the group reads part of each partition, commits what it finished, and leaves:
        // the group is Empty with its lag frozen, so every reader below sees the same figures.
        const assigned = await member.join();
        expect(assigned.flatMap((a) => a.partitions).sort()).toEqual([0, 1, 2, 3]);
        const reader = new ConsumerClient({ cluster, groupId: group });
        reader.assign(produced.map((_, partition) => ({ topic, partition, offset: 0n })));
        const seen = produced.map(() => 0);
        while (seen.some((n, p) => n < consumed[p])) {
          for (const fp of await reader.poll({ maxBytes: 1 << 20, maxWaitMs: 100 }))
            seen[fp.partition] += fp.records.length;
        }
        await member.commit(consumed.map((n, partition) => ({ topic, partition, offset: BigInt(n) })));
      } finally {
        await member.leave();
        cluster.close();
      }
    });

    it.skipIf(!built)(
      'sluice lag and the monitor agree exactly with it: per partition current offset, log-end offset, lag, and the total',
      async () => {
        const before = await kafkaDescribe(target().bootstrap, group);
        expect(before.text).toMatch(new RegExp(`Consumer group '${group}' has no active members`));
        const expected = produced.map((n, partition) => ({
          topic,
          partition,
          current: consumed[partition],
          logEnd: n,
          lag: n - consumed[partition],
        }));
        // Kafka's tool first, against what this test produced and committed.
        expect(before.rows).toEqual(expected);

        const cli = await sluiceLag([
          '--brokers',
          target().bootstrap,
          '--samples',
          '1',
          '--group',
          `^${group}$`,
          '--json',
        ]);
        const fromCli = JSON.parse(cli.stdout).lag as LagReport;
        const monitor = new LagMonitor({
          brokers: target().bootstrap.split(','),
          includeGroups: [`^${group}$`],
        });
        const fromMonitor = await monitor.collect().finally(() => monitor.stop());
        const after = await kafkaDescribe(target().bootstrap, group);

        // Nothing moved while the three read it, so exact equality is the claim.
        expect(after.rows).toEqual(before.rows);
        expect(asRows(fromCli.partitions)).toEqual(before.rows);
        expect(asRows(fromMonitor.partitions)).toEqual(before.rows);
        const total = before.rows.reduce((s, r) => s + r.lag, 0);
        expect(total).toBe(91);
        for (const report of [fromCli, fromMonitor]) {
          expect(report.total_lag).toBe(total);
          expect(report.groups).toHaveLength(1);
          expect(report.groups[0]).toMatchObject({ group, state: 'Empty', total_lag: total, members: 0 });
        }
      },
    );
  });
}
