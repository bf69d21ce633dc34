import { afterAll, expect, it } from 'vitest';
import { codecId, storedCodecs } from '../helpers/broker.js';
import { killChildren, run } from '../helpers/run.js';
import { type Target, uniqueName } from '../helpers/targets.js';
import { describeWithTools, goClient } from '../helpers/tools.js';

/**
 * franz-go (kgo and kadm), the Go client of test/compat/go, against a broker: produce, consume, groups and
 * admin. The Go program runs one scenario per call and prints what the client saw; the assertions live here
 * so they are the same on the embedded broker and on Apache Kafka. Registered from test/compat/go.test.ts
 * (sluice) and test/kafka/go-client.test.ts (the rig's three-broker cluster).
 */

interface Rec {
  partition: number;
  offset: number;
  timestamp: number;
  key: string;
  value: string;
  headers: Record<string, string>;
}
interface ProduceReport {
  producerId: number;
  produced: Rec[];
  consumed: Rec[];
  endOffsets: Record<string, number>;
}
interface ConsumeReport {
  memberId: string;
  generation: number;
  records: Rec[];
}
interface MemberReport {
  name: string;
  ownedWithThree: number[];
  ownedWithTwo?: number[];
  revokedAfterPhaseOne: number[];
  consumed: Rec[];
  leftAfterPhaseOne: boolean;
}
interface MembersReport {
  protocol: string;
  stateWithThree: string;
  membersInGroup: number[];
  members: MemberReport[];
  committed: Record<string, number>;
}
interface AdminReport {
  createdPartitions: number;
  createAgainError: string;
  listed: boolean;
  partitionsAfterAdd: number;
  leaders: number[];
  retentionCreated: string;
  retentionAltered: string;
  groups: Record<string, string>;
  groupState: string;
  groupProtocolType: string;
  groupMembers: number;
  committed: Record<string, number>;
  startOffsets: Record<string, number>;
  endOffsets: Record<string, number>;
  listedAfterDelete: boolean;
  describeUnknownError: string;
}

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const byPosition = (a: Rec, b: Rec) => a.partition - b.partition || a.offset - b.offset;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export function goClientSuite(target: Target): void {
  const go = goClient();
  describeWithTools('franz-go (kgo, kadm)', [go], () => {
    afterAll(() => killChildren());

    const client = async <T>(cmd: string, args: Record<string, string | number>): Promise<T> => {
      const flags = Object.entries(args).flatMap(([k, v]) => [`-${k}`, String(v)]);
      const { stdout } = await run(go.path!, [cmd, '-brokers', target().bootstrap, ...flags], {
        timeoutMs: 60_000,
      });
      return JSON.parse(stdout) as T;
    };
    const produce = (topic: string, partitions: number, records: number, compression = 'none') =>
      client<ProduceReport>('produce', { topic, partitions, records, compression });

    it('produces with acks=all through the idempotent producer, every codec, keys, headers and timestamps, and reads them back without a group', async () => {
      for (const codec of CODECS) {
        const topic = uniqueName(`go-produce-${codec}`);
        const r = await produce(topic, 3, 12, codec);
        expect(r.producerId).toBeGreaterThanOrEqual(0);
        // Per partition the acknowledged offsets count up from 0 in the order sent.
        for (const p of range(3)) {
          expect(r.produced.filter((x) => x.partition === p).map((x) => x.offset)).toEqual(range(4));
        }
        expect(r.produced.map((x) => x.headers)).toEqual(range(12).map((i) => ({ i: String(i), codec })));
        expect([...r.consumed].sort(byPosition)).toEqual([...r.produced].sort(byPosition));
        expect(r.endOffsets).toEqual({ 0: 4, 1: 4, 2: 4 });
        // What the client really sent: a client may fall back to uncompressed batches silently.
        const embedded = target().embedded;
        if (embedded) {
          for (const p of range(3)) expect(storedCodecs(embedded.broker, topic, p)).toContain(codecId(codec));
        }
      }
    });

    it('consumes as a group member committing each poll, and a second member resumes from the commits', async () => {
      const topic = uniqueName('go-consume');
      const group = uniqueName('go-consume-group');
      const { produced } = await produce(topic, 3, 30);
      const first = await client<ConsumeReport>('consume', { topic, group, records: 10 });
      const second = await client<ConsumeReport>('consume', { topic, group, records: 20 });
      expect(first.records).toHaveLength(10);
      const values = (rs: Rec[]) => rs.map((x) => x.value).sort();
      expect(values([...first.records, ...second.records])).toEqual(values(produced));
      // The second member starts where the first one's commits left off, per partition.
      for (const p of range(3)) {
        const readFirst = first.records.filter((x) => x.partition === p).length;
        const secondHere = second.records.filter((x) => x.partition === p).map((x) => x.offset);
        expect(secondHere).toEqual(range(10 - readFirst).map((i) => readFirst + i));
      }
    });

    it('restarts a static member (group.instance.id) without a rebalance and resumes from its commits', async () => {
      const topic = uniqueName('go-static');
      const group = uniqueName('go-static-group');
      const { produced } = await produce(topic, 3, 30);
      const instance = 'static-1';
      const first = await client<ConsumeReport>('consume', { topic, group, records: 10, instance });
      const second = await client<ConsumeReport>('consume', { topic, group, records: 20, instance });
      // A static member sends no LeaveGroup on close; its restart takes its old place in the same generation.
      expect(second.generation).toBe(first.generation);
      expect([...first.records, ...second.records].map((x) => x.value).sort()).toEqual(
        produced.map((x) => x.value).sort(),
      );
    });

    it('shares partitions among three members with cooperative-sticky; when one leaves the others keep theirs and take over its partitions', async () => {
      const topic = uniqueName('go-members');
      const group = uniqueName('go-members-group');
      const { produced } = await produce(topic, 6, 60);
      const r = await client<MembersReport>('members', { topic, group, records: 60 });
      expect(r).toMatchObject({
        protocol: 'cooperative-sticky',
        stateWithThree: 'Stable',
        membersInGroup: [3, 2],
      });
      const withThree = r.members.flatMap((m) => m.ownedWithThree);
      expect(withThree.sort()).toEqual(range(6));
      for (const m of r.members) expect(m.ownedWithThree.length).toBeGreaterThan(0);
      const [m1, m2, leaver] = r.members;
      expect(leaver.leftAfterPhaseOne).toBe(true);
      expect(leaver.revokedAfterPhaseOne.sort()).toEqual([...leaver.ownedWithThree].sort());
      for (const survivor of [m1, m2]) {
        // Cooperative rebalancing: nothing is taken from a survivor, it only gains the leaver's partitions.
        expect(survivor.revokedAfterPhaseOne).toEqual([]);
        expect(survivor.ownedWithTwo).toEqual(expect.arrayContaining(survivor.ownedWithThree));
      }
      expect([...m1.ownedWithTwo!, ...m2.ownedWithTwo!].sort()).toEqual(range(6));
      // Every record exactly once: each member commits a poll before it lets a rebalance go on.
      const read = r.members.flatMap((m) => m.consumed.map((x) => x.value)).sort();
      const second = range(60).map((i) => `second-${i}`);
      expect(read).toEqual([...produced.map((x) => x.value), ...second].sort());
      expect(leaver.consumed.filter((x) => x.value.startsWith('second-'))).toEqual([]);
      expect(r.committed).toEqual(Object.fromEntries(range(6).map((p) => [p, 20])));
    });

    it('administers topics, configs, groups and offsets through kadm', async () => {
      const topic = uniqueName('go-admin');
      const group = uniqueName('go-admin-group');
      await produce(topic, 3, 15);
      const read = await client<ConsumeReport>('consume', { topic, group, records: 6 });
      const r = await client<AdminReport>('admin', { topic, group });
      const readOn = (p: number) => read.records.filter((x) => x.partition === p).length;
      expect(r).toMatchObject({
        createdPartitions: 2,
        createAgainError: 'TOPIC_ALREADY_EXISTS',
        listed: true,
        partitionsAfterAdd: 3,
        retentionCreated: '3600000',
        retentionAltered: '7200000',
        describeUnknownError: 'UNKNOWN_TOPIC_OR_PARTITION',
        groupState: 'Empty',
        groupProtocolType: 'consumer',
        groupMembers: 0,
        startOffsets: { 0: 0, 1: 0, 2: 0 },
        endOffsets: { 0: 5, 1: 5, 2: 5 },
        listedAfterDelete: false,
      });
      expect(r.groups[group]).toBe('Empty');
      // Partitions the member read nothing from have no commit, so OffsetFetch leaves them out or says -1.
      for (const p of range(3)) expect(r.committed[p] ?? -1).toBe(readOn(p) || -1);
      expect(r.leaders).toHaveLength(3);
    });
  });
}
