import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { resolveBrokerConfig } from '../../../src/broker/config.js';
import { startBrokerGroups } from '../../../src/broker/groups/broker-groups.js';
import type { GroupCoordinatorConfig } from '../../../src/broker/groups/config.js';
import { GroupCoordinator, type JoinGroupInput } from '../../../src/broker/groups/coordinator.js';
import type { JoinResult } from '../../../src/broker/groups/group.js';
import {
  MemoryOffsetsTopicLog,
  type OffsetsTopicLog,
  type OffsetsTopicRecord,
} from '../../../src/broker/groups/offsets-topic.js';
import {
  decodeOffsetCommitValue,
  decodeOffsetsTopicKey,
} from '../../../src/broker/groups/offsets-topic-format.js';
import { openTopicStore } from '../../../src/broker/storage-topic-store.js';
import { VirtualClock } from '../../../src/flow/clock.js';
import { ErrorCode } from '../../../src/protocol/errors.js';

const START = 1_700_000_000_000;
const SESSION = 10_000;
const REBALANCE = 30_000;

async function setup(
  config: Partial<GroupCoordinatorConfig> = {},
  log: OffsetsTopicLog = new MemoryOffsetsTopicLog(3),
) {
  const clock = new VirtualClock(START);
  let n = 0;
  const registry = new Registry();
  const coordinator = new GroupCoordinator({
    clock,
    log,
    registry,
    config: { minSessionTimeoutMs: 1000, ...config },
    newMemberId: (clientId) => `${clientId}-${++n}`,
  });
  await coordinator.start();
  return { clock, log, coordinator, registry };
}

function join(memberId: string, clientId: string, over: Partial<JoinGroupInput> = {}): JoinGroupInput {
  return {
    groupId: 'g',
    memberId,
    sessionTimeoutMs: SESSION,
    rebalanceTimeoutMs: REBALANCE,
    protocolType: 'consumer',
    protocols: [
      { name: 'range', metadata: Buffer.from(`sub-${clientId}`) },
      { name: 'roundrobin', metadata: Buffer.from('rr') },
    ],
    clientId,
    clientHost: '/127.0.0.1',
    apiVersion: 3,
    ...over,
  };
}

/** Joins one member to an empty group and syncs it: the group ends Stable at generation 1. */
async function stableWithOne(coordinator: GroupCoordinator, clock: VirtualClock) {
  const joined = await coordinator.joinGroup(join('', 'a'));
  expect(joined.errorCode).toBe(ErrorCode.NONE);
  const synced = await coordinator.syncGroup({
    groupId: 'g',
    generationId: joined.generationId,
    memberId: joined.memberId,
    assignments: [{ memberId: joined.memberId, assignment: Buffer.from('all') }],
  });
  await clock.advance(0);
  expect(synced.errorCode).toBe(ErrorCode.NONE);
  return joined;
}

async function settled<T>(clock: VirtualClock, p: Promise<T>): Promise<T | 'pending'> {
  let done: T | 'pending' = 'pending';
  p.then((v) => {
    done = v;
  });
  await clock.advance(0);
  return done;
}

describe('GroupCoordinator membership', () => {
  it('forms a first generation with one member, elects it leader and relays the assignment', async () => {
    const { coordinator, clock } = await setup();
    const joined = await coordinator.joinGroup(join('', 'a'));
    expect(joined).toMatchObject({
      errorCode: 0,
      generationId: 1,
      protocolName: 'range',
      memberId: 'a-1',
      leader: 'a-1',
    });
    expect(joined.members).toEqual([
      { memberId: 'a-1', groupInstanceId: null, metadata: Buffer.from('sub-a') },
    ]);
    expect(coordinator.describeGroup('g').groupState).toBe('CompletingRebalance');
    const synced = await coordinator.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: 'a-1',
      assignments: [{ memberId: 'a-1', assignment: Buffer.from('p0,p1') }],
    });
    expect(synced).toMatchObject({ errorCode: 0, assignment: Buffer.from('p0,p1') });
    const described = coordinator.describeGroup('g');
    expect(described).toMatchObject({
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
    });
    expect(described.members[0]).toMatchObject({
      memberId: 'a-1',
      clientId: 'a',
      memberAssignment: Buffer.from('p0,p1'),
    });
    expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: 'a-1' })).toBe(ErrorCode.NONE);
    await clock.advance(0);
  });

  it('expires a member whose session runs out without heartbeats, leaving the group empty', async () => {
    const { coordinator, clock } = await setup();
    const a = await stableWithOne(coordinator, clock);
    await clock.advance(SESSION - 1);
    expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId })).toBe(0);
    await clock.advance(SESSION - 1); // heartbeat restarted the session
    expect(coordinator.describeGroup('g').groupState).toBe('Stable');
    await clock.advance(2);
    expect(coordinator.describeGroup('g')).toMatchObject({ groupState: 'Empty', members: [] });
    expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId })).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
  });

  it('lets a member join during a rebalance and removes one that does not rejoin before the rebalance timeout', async () => {
    const { coordinator, clock, registry } = await setup();
    const a = await stableWithOne(coordinator, clock);
    // b arrives: a learns about the rebalance from its heartbeat.
    const bJoin = coordinator.joinGroup(join('', 'b'));
    expect(await settled(clock, bJoin)).toBe('pending');
    expect(coordinator.describeGroup('g').groupState).toBe('PreparingRebalance');
    expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId })).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    // c joins while the rebalance is under way; a keeps heartbeating but never rejoins.
    const cJoin = coordinator.joinGroup(join('', 'c'));
    for (let t = 0; t < REBALANCE; t += 5000) {
      await clock.advance(5000);
      coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId });
    }
    const [b, c] = (await Promise.all([bJoin, cJoin])) as JoinResult[];
    expect(b).toMatchObject({ errorCode: 0, generationId: 2 });
    expect(c).toMatchObject({ errorCode: 0, generationId: 2, leader: b.leader });
    const leader = [b, c].find((r) => r.memberId === r.leader)!;
    expect(leader.members.map((m) => m.memberId).sort()).toEqual(['b-2', 'c-3']);
    expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId })).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    const metrics = await registry.getMetricsAsJSON();
    const rebalances = metrics.find((m) => m.name === 'sluice_group_rebalances_total')!;
    expect(rebalances.values[0].value).toBe(2);
  });

  it('completes a rebalance as soon as every member rejoined, and waits for the leader before Stable', async () => {
    const { coordinator, clock } = await setup();
    const a = await stableWithOne(coordinator, clock);
    const bJoin = coordinator.joinGroup(join('', 'b'));
    const aJoin = coordinator.joinGroup(join(a.memberId, 'a'));
    const [ra, rb] = await Promise.all([aJoin, bJoin]);
    expect(ra.generationId).toBe(2);
    expect(ra.leader).toBe(a.memberId);
    expect(ra.members).toHaveLength(2);
    expect(rb.members).toHaveLength(0);
    // The follower syncs first and waits for the leader's assignment.
    const bSync = coordinator.syncGroup({
      groupId: 'g',
      generationId: 2,
      memberId: rb.memberId,
      assignments: [],
    });
    expect(await settled(clock, bSync)).toBe('pending');
    const aSync = await coordinator.syncGroup({
      groupId: 'g',
      generationId: 2,
      memberId: ra.memberId,
      assignments: [
        { memberId: ra.memberId, assignment: Buffer.from('A') },
        { memberId: rb.memberId, assignment: Buffer.from('B') },
      ],
    });
    expect(aSync.assignment).toEqual(Buffer.from('A'));
    expect((await bSync).assignment).toEqual(Buffer.from('B'));
    expect(coordinator.describeGroup('g').groupState).toBe('Stable');
  });

  it('rejoins the remaining member alone after another leaves', async () => {
    const { coordinator, clock } = await setup();
    const a = await stableWithOne(coordinator, clock);
    const bJoin = coordinator.joinGroup(join('', 'b'));
    const [ra, rb] = await Promise.all([coordinator.joinGroup(join(a.memberId, 'a')), bJoin]);
    await Promise.all([
      coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: rb.memberId, assignments: [] }),
      coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: ra.memberId, assignments: [] }),
    ]);
    const left = coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: ra.memberId }] });
    expect(left.members).toEqual([{ memberId: ra.memberId, groupInstanceId: null, errorCode: 0 }]);
    expect(coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId: rb.memberId })).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    const again = await coordinator.joinGroup(join(rb.memberId, 'b'));
    expect(again).toMatchObject({ errorCode: 0, generationId: 3, leader: rb.memberId });
    expect(
      coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: 'nobody' }] }).members[0].errorCode,
    ).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('answers members still waiting in JoinGroup when it closes, and refuses new work', async () => {
    const { coordinator, clock } = await setup();
    await stableWithOne(coordinator, clock);
    const waiting = coordinator.joinGroup(join('', 'b'));
    expect(await settled(clock, waiting)).toBe('pending');
    coordinator.close();
    expect((await waiting).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect((await coordinator.joinGroup(join('', 'c'))).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(clock.pending()).toBe(0);
  });

  it('refuses a member whose protocols share nothing with the group', async () => {
    const { coordinator, clock } = await setup();
    await stableWithOne(coordinator, clock);
    const other = await coordinator.joinGroup(
      join('', 'k', { protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.alloc(0) }] }),
    );
    expect(other.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const wrongType = await coordinator.joinGroup(join('', 'k', { protocolType: 'connect' }));
    expect(wrongType.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(coordinator.describeGroup('g').groupState).toBe('Stable');
  });

  it('asks v4+ joiners for a member id first (MEMBER_ID_REQUIRED), then admits them with it', async () => {
    const { coordinator } = await setup();
    const first = await coordinator.joinGroup(join('', 'a', { apiVersion: 4 }));
    expect(first).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId: 'a-1' });
    const second = await coordinator.joinGroup(join('a-1', 'a', { apiVersion: 4 }));
    expect(second).toMatchObject({ errorCode: 0, memberId: 'a-1', generationId: 1 });
  });

  it('rejects session timeouts outside the configured bounds and empty group ids', async () => {
    const { coordinator } = await setup({ minSessionTimeoutMs: 6000 });
    expect((await coordinator.joinGroup(join('', 'a', { sessionTimeoutMs: 100 }))).errorCode).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    expect((await coordinator.joinGroup(join('', 'a', { groupId: '' }))).errorCode).toBe(
      ErrorCode.INVALID_GROUP_ID,
    );
  });

  it('waits out the initial rebalance delay so members starting together share the first generation', async () => {
    const { coordinator, clock } = await setup({ initialRebalanceDelayMs: 3000 });
    const a = coordinator.joinGroup(join('', 'a'));
    await clock.advance(2000);
    const b = coordinator.joinGroup(join('', 'b'));
    // At 3000 ms the delay ends with a new member seen, so it runs once more (as Kafka's InitialDelayedJoin).
    await clock.advance(3999);
    expect(await settled(clock, a)).toBe('pending');
    await clock.advance(1);
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.generationId).toBe(1);
    expect(rb.generationId).toBe(1);
  });

  it('removes members that never sync and starts over when the leader sends no assignment', async () => {
    const { coordinator, clock } = await setup();
    const a = await coordinator.joinGroup(join('', 'a'));
    expect(a.generationId).toBe(1);
    await clock.advance(REBALANCE + 1);
    expect(coordinator.describeGroup('g').groupState).toBe('Empty');
  });
});

describe('GroupCoordinator static membership (KIP-345)', () => {
  it('lets a restarted static member take its instance back without a rebalance, fencing the old id', async () => {
    const { coordinator, clock } = await setup();
    const a = await coordinator.joinGroup(join('', 'a', { groupInstanceId: 'host-a', apiVersion: 5 }));
    expect(a).toMatchObject({ errorCode: 0, generationId: 1, memberId: 'a-1' });
    await coordinator.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: 'a-1',
      groupInstanceId: 'host-a',
      assignments: [{ memberId: 'a-1', assignment: Buffer.from('A') }],
    });
    // The process restarts: same instance id, no member id.
    const back = await coordinator.joinGroup(join('', 'a', { groupInstanceId: 'host-a', apiVersion: 5 }));
    expect(back).toMatchObject({
      errorCode: 0,
      generationId: 1,
      memberId: 'a-2',
      // Kafka answers the leader id from before the replacement, so the returning leader does not
      // compute an assignment a Stable group would never hand out.
      leader: 'a-1',
      members: [],
    });
    expect(coordinator.describeGroup('g').groupState).toBe('Stable');
    const synced = await coordinator.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: 'a-2',
      groupInstanceId: 'host-a',
      assignments: [],
    });
    expect(synced.assignment).toEqual(Buffer.from('A'));
    expect(
      coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: 'a-1', groupInstanceId: 'host-a' }),
    ).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const stale = await coordinator.commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId: 'a-1',
      groupInstanceId: 'host-a',
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1 }] }],
    });
    expect(stale.topics[0].partitions[0].errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(
      coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: 'a-2', groupInstanceId: 'host-a' }),
    ).toBe(0);
    await clock.advance(0);
  });

  it('removes a static member that leaves by instance id, and rebalances the rest', async () => {
    const { coordinator, clock } = await setup();
    const a = await stableWithOne(coordinator, clock);
    const bJoin = coordinator.joinGroup(join('', 'b', { groupInstanceId: 'host-b', apiVersion: 5 }));
    const [, rb] = await Promise.all([coordinator.joinGroup(join(a.memberId, 'a')), bJoin]);
    expect(rb).toMatchObject({ errorCode: 0, generationId: 2 });
    const left = coordinator.leaveGroup({
      groupId: 'g',
      members: [{ memberId: '', groupInstanceId: 'host-b' }],
    });
    expect(left.members[0].errorCode).toBe(0);
    expect(coordinator.describeGroup('g').members.map((m) => m.memberId)).toEqual([a.memberId]);
    const wrong = coordinator.leaveGroup({
      groupId: 'g',
      members: [{ memberId: 'x', groupInstanceId: 'host-b' }],
    });
    expect(wrong.members[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});

describe('GroupCoordinator offsets', () => {
  it('commits for a member of the current generation and rejects a stale generation', async () => {
    const { coordinator, clock } = await setup();
    const a = await stableWithOne(coordinator, clock);
    const ok = await coordinator.commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId: a.memberId,
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 10, committedMetadata: 'x' }] },
      ],
    });
    expect(ok.topics[0].partitions[0].errorCode).toBe(0);
    // b joins and the group moves to generation 2 without a.
    const bJoin = coordinator.joinGroup(join('', 'b'));
    await clock.advance(0);
    const stale = await coordinator.commitOffsets({
      groupId: 'g',
      generationId: 0,
      memberId: a.memberId,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 99 }] }],
    });
    expect(stale.topics[0].partitions[0].errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    await coordinator.joinGroup(join(a.memberId, 'a'));
    await bJoin;
    // Generation 2 is CompletingRebalance: commits wait for the assignment.
    const during = await coordinator.commitOffsets({
      groupId: 'g',
      generationId: 2,
      memberId: a.memberId,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 98 }] }],
    });
    expect(during.topics[0].partitions[0].errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const old = await coordinator.commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId: 'gone',
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 97 }] }],
    });
    expect(old.topics[0].partitions[0].errorCode).not.toBe(0);
    expect(
      coordinator.fetchOffsets({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }] }),
    ).toEqual({
      errorCode: 0,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 10, committedLeaderEpoch: -1, metadata: 'x', errorCode: 0 },
            { partitionIndex: 1, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
          ],
        },
      ],
    });
  });

  it('accepts simple (generation -1) commits for a group nobody joined, and refuses them once members exist', async () => {
    const { coordinator, clock, log } = await setup();
    const simple = await coordinator.commitOffsets({
      groupId: 'solo',
      generationId: -1,
      memberId: '',
      topics: [{ name: 't', partitions: [{ partitionIndex: 2, committedOffset: 7 }] }],
    });
    expect(simple.topics[0].partitions[0].errorCode).toBe(0);
    expect(coordinator.fetchOffsets({ groupId: 'solo', topics: null }).topics).toEqual([
      {
        name: 't',
        partitions: [
          { partitionIndex: 2, committedOffset: 7, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
        ],
      },
    ]);
    expect(coordinator.listGroups()).toContainEqual({
      groupId: 'solo',
      protocolType: '',
      groupState: 'Empty',
    });
    // The commit is in __consumer_offsets as key v1 + value v3, on the group's partition.
    const records = (log as MemoryOffsetsTopicLog).records(coordinator.partitionFor('solo'));
    const last = records.at(-1)!;
    expect(decodeOffsetsTopicKey(last.key)).toEqual({
      kind: 'offset',
      group: 'solo',
      topic: 't',
      partition: 2,
    });
    expect(last.value!.readInt16BE(0)).toBe(3);
    expect(decodeOffsetCommitValue(last.value!)).toMatchObject({ offset: 7, commitTimestamp: START });

    await stableWithOne(coordinator, clock);
    const intruder = await coordinator.commitOffsets({
      groupId: 'g',
      generationId: -1,
      memberId: '',
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1 }] }],
    });
    expect(intruder.topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('refuses commits to unknown partitions and oversized metadata, per partition', async () => {
    const clock = new VirtualClock(START);
    const coordinator = new GroupCoordinator({
      clock,
      log: new MemoryOffsetsTopicLog(),
      config: { maxOffsetMetadataBytes: 4 },
      partitionExists: (t, p) => t === 't' && p === 0,
    });
    await coordinator.start();
    const r = await coordinator.commitOffsets({
      groupId: 's',
      generationId: -1,
      memberId: '',
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 1 },
            { partitionIndex: 1, committedOffset: 1 },
            { partitionIndex: 0, committedOffset: 2, committedMetadata: 'too long' },
          ],
        },
      ],
    });
    expect(r.topics[0].partitions.map((p) => p.errorCode)).toEqual([
      0,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
    ]);
  });

  it('acknowledges a commit only after __consumer_offsets accepted it, and never when the append fails', async () => {
    const inner = new MemoryOffsetsTopicLog(1);
    let release: (() => void) | undefined;
    let fail = false;
    const gated: OffsetsTopicLog = {
      partitions: 1,
      replay: (p) => inner.replay(p),
      append: async (p: number, records: OffsetsTopicRecord[], ts: number) => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        if (fail) throw new Error('disk full');
        return inner.append(p, records, ts);
      },
    };
    const { coordinator, clock } = await setup({}, gated);
    const commit = (offset: number) =>
      coordinator.commitOffsets({
        groupId: 's',
        generationId: -1,
        memberId: '',
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset }] }],
      });
    const first = commit(5);
    expect(await settled(clock, first)).toBe('pending');
    expect(coordinator.fetchOffsets({ groupId: 's', topics: null }).topics).toEqual([]);
    release!();
    expect((await first).topics[0].partitions[0].errorCode).toBe(0);
    fail = true;
    const second = commit(6);
    await clock.advance(0);
    release!();
    expect((await second).topics[0].partitions[0].errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(coordinator.committedOffsets('s').map((c) => c.offset)).toEqual([5]);
  });

  it('expires offsets of a group that stayed empty for the retention, writing tombstones', async () => {
    const retention = 60_000;
    const { coordinator, clock, log } = await setup({
      offsetsRetentionMs: retention,
      offsetsRetentionCheckIntervalMs: 10_000,
    });
    const a = await stableWithOne(coordinator, clock);
    await coordinator.commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId: a.memberId,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 3 }] }],
    });
    // An active group keeps its offsets however old they are.
    for (let i = 0; i < 10; i++) {
      await clock.advance(SESSION / 2);
      coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId });
    }
    expect(coordinator.committedOffsets('g')).toHaveLength(1);
    coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: a.memberId }] });
    expect(coordinator.describeGroup('g').groupState).toBe('Empty');
    await clock.advance(retention - 10_000);
    expect(coordinator.committedOffsets('g')).toHaveLength(1);
    await clock.advance(20_000);
    expect(coordinator.committedOffsets('g')).toHaveLength(0);
    expect(coordinator.listGroups().map((g) => g.groupId)).not.toContain('g');
    const records = (log as MemoryOffsetsTopicLog).records(coordinator.partitionFor('g'));
    const tombstones = records.filter((r) => r.value === null).map((r) => decodeOffsetsTopicKey(r.key));
    expect(tombstones).toEqual([
      { kind: 'offset', group: 'g', topic: 't', partition: 0 },
      { kind: 'group', group: 'g' },
    ]);
  });

  it('expires explicit-retention commits (OffsetCommit v2-4) at their own expiry time', async () => {
    const { coordinator, clock } = await setup();
    await coordinator.commitOffsets({
      groupId: 's',
      generationId: -1,
      memberId: '',
      retentionTimeMs: 5000,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1 }] }],
    });
    await clock.advance(4999);
    expect(await coordinator.expireOffsets()).toBe(0);
    await clock.advance(1);
    expect(await coordinator.expireOffsets()).toBe(1);
  });

  it('deletes an empty group with its offsets and refuses to delete a group with members', async () => {
    const { coordinator, clock } = await setup();
    await stableWithOne(coordinator, clock);
    expect(await coordinator.deleteGroup('g')).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect(await coordinator.deleteGroup('nope')).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    await coordinator.commitOffsets({
      groupId: 's',
      generationId: -1,
      memberId: '',
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1 }] }],
    });
    expect(await coordinator.deleteGroup('s')).toBe(0);
    expect(coordinator.committedOffsets('s')).toEqual([]);
    expect(coordinator.describeGroup('s').groupState).toBe('Dead');
  });
});

describe('GroupCoordinator replay', () => {
  it('rebuilds groups, generations, assignments and offsets from __consumer_offsets after a restart', async () => {
    const log = new MemoryOffsetsTopicLog(3);
    const first = await setup({}, log);
    const a = await stableWithOne(first.coordinator, first.clock);
    for (const offset of [1, 5, 9]) {
      await first.coordinator.commitOffsets({
        groupId: 'g',
        generationId: 1,
        memberId: a.memberId,
        topics: [
          {
            name: 't',
            partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: 0 }],
          },
        ],
      });
    }
    await first.coordinator.commitOffsets({
      groupId: 'gone',
      generationId: -1,
      memberId: '',
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1 }] }],
    });
    expect(await first.coordinator.deleteGroup('gone')).toBe(0);
    first.coordinator.close();

    const second = await setup({}, log);
    const restored = second.coordinator.describeGroup('g');
    expect(restored).toMatchObject({ groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(restored.members[0]).toMatchObject({ memberId: a.memberId, memberAssignment: Buffer.from('all') });
    expect(
      second.coordinator.fetchOffsets({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] })
        .topics[0].partitions[0],
    ).toMatchObject({ committedOffset: 9, committedLeaderEpoch: 0 });
    expect(second.coordinator.describeGroup('gone').groupState).toBe('Dead');
    expect(second.coordinator.committedOffsets('gone')).toEqual([]);
    // The member keeps its generation across the restart and is expired if it never comes back.
    expect(second.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId })).toBe(0);
    await second.clock.advance(SESSION + 1);
    expect(second.coordinator.describeGroup('g').groupState).toBe('Empty');
  });

  it('restarts from a __consumer_offsets compacted by storage into exactly the state it had', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-groups-compact-'));
    const clock = new VirtualClock(START);
    const open = async () => {
      const { store, manager } = await openTopicStore(
        resolveBrokerConfig({ dataDir, clock, durability: 'async' }),
        pino({ level: 'silent' }),
      );
      const coordinator = await startBrokerGroups(
        {
          clock,
          log: pino({ level: 'silent' }),
          metrics: { registry: new Registry() },
          registerInternalTopic: () => undefined,
        },
        store,
        { minSessionTimeoutMs: 1000, offsetsTopicSegmentBytes: 1024, offsetsRetentionMs: 3600_000 },
      );
      return { store, manager, coordinator };
    };
    const state = (c: GroupCoordinator) => ({
      groups: c.listGroups().sort((x, y) => x.groupId.localeCompare(y.groupId)),
      g: c.describeGroup('g'),
      offsets: ['g', 'solo', 'gone', 'expired'].map((id) => c.committedOffsets(id)),
    });
    try {
      const first = await open();
      await first.store.createTopic('t', 2, {});
      const a = await stableWithOne(first.coordinator, clock);
      const commit = (groupId: string, partition: number, offset: number, memberId = '', generationId = -1) =>
        first.coordinator.commitOffsets({
          groupId,
          generationId,
          memberId,
          topics: [{ name: 't', partitions: [{ partitionIndex: partition, committedOffset: offset }] }],
        });
      expect((await commit('expired', 0, 5)).topics[0].partitions[0].errorCode).toBe(0);
      for (let i = 1; i <= 60; i++) {
        await commit('g', i % 2, i, a.memberId, 1);
        await commit('solo', 0, i * 10);
        await clock.advance(10);
      }
      await commit('gone', 0, 1);
      expect(await first.coordinator.deleteGroup('gone')).toBe(0);
      // 'expired' outlives offsets retention: the coordinator tombstones it.
      await clock.advance(3600_000);
      await first.coordinator.expireOffsets();
      await commit('g', 0, 61, a.memberId, 1);
      const before = state(first.coordinator);
      expect(before.offsets[3]).toEqual([]);

      const log = first.manager.requireLog('__consumer_offsets', 0);
      expect(log.segmentCount).toBeGreaterThan(3);
      const result = await log.compact();
      expect(result.recordsRemoved).toBeGreaterThan(100);
      expect(log.logStartOffset).toBe(0n);
      first.coordinator.close();
      await first.manager.close();

      const second = await open();
      expect(state(second.coordinator)).toEqual(before);
      second.coordinator.close();
      await second.manager.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('skips unreadable records instead of refusing to start', async () => {
    const log = new MemoryOffsetsTopicLog(1);
    await log.append(0, [{ key: Buffer.from([0, 9]), value: Buffer.from([1]) }], START);
    const { coordinator } = await setup({}, log);
    expect(coordinator.listGroups()).toEqual([]);
  });
});
