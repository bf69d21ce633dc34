import { afterAll, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { ConsumerClient } from '../../src/client/consumer-client.js';
import { GroupMember } from '../../src/client/group.js';
import { Producer } from '../../src/client/producer.js';
import { LagMonitor } from '../../src/monitor/monitor.js';
import type { LagReport } from '../../src/monitor/reports.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import {
  type BurrowGroupStatus,
  burrowTools,
  type RunningBurrow,
  startBurrow,
  waitFor,
} from '../helpers/burrow.js';
import { describeWithTools } from '../helpers/tools.js';

/**
 * The lag monitor beside Burrow 1.2.1 on the same broker and the same scripted scenarios. Each tick
 * produces, waits until Burrow has fetched the new heads, commits, then lets our monitor collect, so both
 * see the same sequence of (head, commit) pairs: Burrow per commit from __consumer_offsets, we per
 * sample over the admin protocol. At the end the lag figures must agree exactly and the statuses too.
 */

interface Scenario {
  group: string;
  topic: string;
  /** Records to produce and the offset to commit (null: no commit) at tick i, given the head. */
  step(i: number, head: number): { produce: number; commit: number | null };
  expected: 'OK' | 'WARN' | 'STOP' | 'STALL' | 'REWIND';
  /** Commit as a live group member (joined through the coordinator) instead of a simple commit. */
  member?: boolean;
}

const TICKS = 13;
const scenarios: Scenario[] = [
  {
    // Lag goes 3, 1, 3, 1…: it falls at times and never reaches zero.
    group: 'steady',
    topic: 'steady-t',
    step: (i, head) => ({ produce: 4, commit: head + 4 - (i % 2 === 0 ? 3 : 1) }),
    expected: 'OK',
  },
  {
    // Produces 6 a tick, consumes 3: lag grows 3 a tick.
    group: 'growing',
    topic: 'growing-t',
    step: (i) => ({ produce: 6, commit: 10 + 3 * (i + 1) }),
    expected: 'WARN',
  },
  {
    // Commits for three ticks, then stops while records keep coming.
    group: 'stopped',
    topic: 'stopped-t',
    step: (i) => ({ produce: 5, commit: i < 3 ? 5 + 4 * i : null }),
    expected: 'STOP',
  },
  {
    // A live member keeps committing the same offset while records arrive: stuck, not gone.
    group: 'stalled',
    topic: 'stalled-t',
    step: () => ({ produce: 3, commit: 15 }),
    expected: 'STALL',
    member: true,
  },
  {
    // Advances, then an offset reset takes it back.
    group: 'rewound',
    topic: 'rewound-t',
    step: (i) => ({ produce: 5, commit: i < 8 ? 10 + 3 * i : 5 + i }),
    expected: 'REWIND',
  },
];

describeWithTools('lag monitor beside Burrow 1.2.1 on the same scenarios', burrowTools(), () => {
  let broker: TestBroker | undefined;
  let burrow: RunningBurrow | undefined;
  let cluster: Cluster | undefined;
  let monitor: LagMonitor | undefined;
  const members: GroupMember[] = [];
  const memberOf = new Map<string, GroupMember>();

  afterAll(async () => {
    for (const m of members) await m.leave().catch(() => undefined);
    await monitor?.stop();
    await burrow?.stop(); // before the broker: Burrow's long-poll fetches would hold its shutdown
    cluster?.close();
    await broker?.stop();
  });

  it('agrees on lag exactly and on the status of steady, growing, stopped, stalled and rewound consumers', async () => {
    broker = await startTestBroker();
    cluster = new Cluster({ brokers: [broker.bootstrap], clientId: 'scenario-driver' });
    const admin = new Admin({ cluster });
    await admin.createTopics(scenarios.map((s) => ({ topic: s.topic, numPartitions: 1 })));
    const producer = new Producer({ cluster, lingerMs: 0 });
    // A head start so no scenario begins caught up.
    await producer.send(scenarios.map((s) => ({ topic: s.topic, partition: 0, value: Buffer.alloc(10) })));
    const heads = new Map(scenarios.map((s) => [s.group, 1]));
    for (const s of scenarios) {
      await producer.send(Array.from({ length: 19 }, () => ({ topic: s.topic, partition: 0, value: 'x' })));
      heads.set(s.group, 20);
    }
    burrow = await startBurrow({
      bootstrap: broker.bootstrap,
      intervals: 10,
      minDistance: 1,
      offsetRefresh: 1,
    });
    const b = burrow;
    for (const s of scenarios) {
      await waitFor(
        `Burrow to know ${s.topic}`,
        async () => {
          const r = await b.get(`/v3/kafka/local/topic/${s.topic}`);
          return (r.body.offsets as number[] | undefined)?.[0] === 20 ? true : undefined;
        },
        30_000,
        b.log,
      );
    }
    monitor = new LagMonitor({
      brokers: [broker.bootstrap],
      windowSize: 10,
      minSamples: 1,
      includeGroups: [`^(${scenarios.map((s) => s.group).join('|')})$`],
    });
    const committers = new Map(
      scenarios.map((s) => [s.group, new ConsumerClient({ cluster, groupId: s.group })]),
    );
    for (const s of scenarios.filter((x) => x.member)) {
      const member = new GroupMember({
        cluster,
        groupId: s.group,
        topics: [s.topic],
        sessionTimeoutMs: 10_000,
      });
      members.push(member);
      await member.join();
      memberOf.set(s.group, member);
    }
    let report: LagReport | undefined;
    let lastCommitAt = 0;
    for (let i = 0; i < TICKS; i++) {
      const plan = scenarios.map((s) => ({ s, ...s.step(i, heads.get(s.group) ?? 0) }));
      await producer.send(
        plan.flatMap(({ s, produce }) =>
          Array.from({ length: produce }, () => ({ topic: s.topic, partition: 0, value: 'x' })),
        ),
      );
      for (const { s, produce } of plan) heads.set(s.group, (heads.get(s.group) ?? 0) + produce);
      // Burrow computes a commit's lag from the head offset it last fetched (every second): commit
      // only once it has fetched the new heads, so both see the same (head, commit) pairs.
      await waitFor(
        'Burrow to fetch the new head offsets',
        async () => {
          for (const sc of scenarios) {
            const r = await b.get(`/v3/kafka/local/topic/${sc.topic}`);
            if ((r.body.offsets as number[] | undefined)?.[0] !== heads.get(sc.group)) return undefined;
          }
          return true;
        },
        15_000,
        b.log,
      );
      // Commits at least Burrow's min-distance (1 s) apart, or it overwrites the previous slot.
      await new Promise((r) => setTimeout(r, Math.max(0, lastCommitAt + 1100 - Date.now())));
      for (const { s, commit } of plan) {
        if (commit !== null)
          await committers
            .get(s.group)
            ?.commit([{ topic: s.topic, partition: 0, offset: BigInt(commit) }], memberOf.get(s.group));
      }
      lastCommitAt = Date.now();
      report = await monitor.collect();
    }
    await producer.close();
    const ours = report as LagReport;

    const burrowViews = new Map<string, BurrowGroupStatus>();
    for (const s of scenarios) {
      const mine = ours.partitions.find((p) => p.group === s.group);
      const view = await waitFor(
        `Burrow's view of ${s.group}`,
        async () => {
          const r = await b.get(`/v3/kafka/local/consumer/${s.group}/lag`);
          const st = r.body.status as BurrowGroupStatus | undefined;
          const p = st?.partitions?.[0];
          return p && p.end?.offset === mine?.committed_offset && p.current_lag === mine?.lag
            ? st
            : undefined;
        },
        15_000,
        () => `${JSON.stringify(ours.partitions.find((p) => p.group === s.group))}\n${b.log()}`,
      );
      burrowViews.set(s.group, view);
    }
    for (const s of scenarios) {
      const view = burrowViews.get(s.group) as BurrowGroupStatus;
      const mine = ours.partitions.find((p) => p.group === s.group);
      const group = ours.groups.find((g) => g.group === s.group);
      const detail = `${s.group}: Burrow ${JSON.stringify(view)} / ours ${JSON.stringify(mine)}`;
      expect(mine?.lag, detail).toBe(view.partitions[0].current_lag);
      expect(group?.total_lag, detail).toBe(view.totallag);
      expect(view.partitions[0].status, detail).toBe(s.expected);
      expect(mine?.status, detail).toBe(s.expected);
      expect(group?.window_status, detail).toBe(view.status);
    }
  }, 90_000);
});
