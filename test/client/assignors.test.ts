import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { type AssignorMember, rangeAssignor, roundRobinAssignor } from '../../src/client/assignors.js';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../src/protocol/consumer-protocol.js';

const require = createRequire(import.meta.url);
const { MemberMetadata, MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol.js');
const { AssignerProtocol, PartitionAssigners } = require('kafkajs');

const member = (memberId: string, topics: string[]): AssignorMember => ({
  memberId,
  subscription: { version: 0, topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null },
});

describe('consumer protocol blobs', () => {
  it('encodes a subscription byte for byte as kafkajs does, and reads theirs', () => {
    const ours = encodeSubscription({ version: 0, topics: ['orders', 'payments'] });
    const theirs: Buffer = MemberMetadata.encode({ version: 0, topics: ['orders', 'payments'] });
    expect(ours.equals(theirs)).toBe(true);
    const withUserData: Buffer = AssignerProtocol.MemberMetadata.encode({
      version: 1,
      topics: ['a'],
      userData: Buffer.from('xyz'),
    });
    const decoded = decodeSubscription(withUserData);
    expect(decoded.topics).toEqual(['a']);
    expect(decoded.userData?.toString()).toBe('xyz');
  });

  it('encodes an assignment byte for byte as kafkajs does, and reads theirs', () => {
    const ours = encodeAssignment({
      assignedPartitions: [
        { topic: 'orders', partitions: [0, 2] },
        { topic: 'payments', partitions: [1] },
      ],
    });
    const theirs: Buffer = MemberAssignment.encode({
      version: 0,
      assignment: { orders: [0, 2], payments: [1] },
    });
    expect(ours.equals(theirs)).toBe(true);
    expect(decodeAssignment(theirs).assignedPartitions).toEqual([
      { topic: 'orders', partitions: [0, 2] },
      { topic: 'payments', partitions: [1] },
    ]);
    expect(MemberAssignment.decode(ours)).toEqual({
      version: 0,
      assignment: { orders: [0, 2], payments: [1] },
      userData: Buffer.alloc(0),
    });
  });

  it('reads the v1-v3 subscription fields Java and librdkafka add', () => {
    const v3 = encodeSubscription({
      version: 3,
      topics: ['t'],
      ownedPartitions: [{ topic: 't', partitions: [3, 4] }],
      generationId: 7,
      rackId: 'r1',
    });
    // version, 1 topic "t", empty user data, owned [t:[3,4]], generation 7, rack "r1"
    expect(v3.toString('hex')).toBe(
      `0003${'00000001'}0001${'74'}${'00000000'}${'00000001'}0001${'74'}${'00000002'}${'00000003'}${'00000004'}${'00000007'}0002${'7231'}`,
    );
    expect(decodeSubscription(v3)).toMatchObject({
      version: 3,
      ownedPartitions: [{ topic: 't', partitions: [3, 4] }],
      generationId: 7,
      rackId: 'r1',
    });
  });

  it('treats an empty assignment as nothing assigned and a truncated one as an error', () => {
    expect(decodeAssignment(Buffer.alloc(0)).assignedPartitions).toEqual([]);
    expect(() => decodeSubscription(Buffer.from('00000000000a', 'hex'))).toThrow(/truncated/);
  });
});

describe('range assignor', () => {
  it("assigns like the Java RangeAssignor's documented example", () => {
    const result = rangeAssignor.assign(
      [member('C1', ['t0', 't1']), member('C0', ['t0', 't1'])],
      new Map([
        ['t0', 3],
        ['t1', 3],
      ]),
    );
    expect(result.get('C0')).toEqual([
      { topic: 't0', partitions: [0, 1] },
      { topic: 't1', partitions: [0, 1] },
    ]);
    expect(result.get('C1')).toEqual([
      { topic: 't0', partitions: [2] },
      { topic: 't1', partitions: [2] },
    ]);
  });

  it('gives members subscribed to nothing here an empty list, and covers every partition once', () => {
    const result = rangeAssignor.assign(
      [member('a', ['x']), member('b', ['x', 'y']), member('c', ['z'])],
      new Map([
        ['x', 5],
        ['y', 2],
      ]),
    );
    expect(result.get('c')).toEqual([]);
    const all = [...result.values()].flat().flatMap((tp) => tp.partitions.map((p) => `${tp.topic}-${p}`));
    expect(all.sort()).toEqual(['x-0', 'x-1', 'x-2', 'x-3', 'x-4', 'y-0', 'y-1']);
  });
});

describe('roundrobin assignor', () => {
  it("assigns like the Java RoundRobinAssignor's documented example", () => {
    const result = roundRobinAssignor.assign(
      [member('C0', ['t0', 't1']), member('C1', ['t0', 't1'])],
      new Map([
        ['t0', 3],
        ['t1', 3],
      ]),
    );
    expect(result.get('C0')).toEqual([
      { topic: 't0', partitions: [0, 2] },
      { topic: 't1', partitions: [1] },
    ]);
    expect(result.get('C1')).toEqual([
      { topic: 't0', partitions: [1] },
      { topic: 't1', partitions: [0, 2] },
    ]);
  });

  it("matches kafkajs's RoundRobinAssigner when every member subscribes to every topic", async () => {
    const topics = ['alpha', 'beta', 'gamma'];
    const counts: Record<string, number> = { alpha: 5, beta: 3, gamma: 8 };
    const cluster = {
      findTopicPartitionMetadata: (t: string) =>
        Array.from({ length: counts[t] }, (_, partitionId) => ({ partitionId })),
    };
    const ids = ['m-3', 'm-1', 'm-2'];
    const kafkajs = PartitionAssigners.roundRobin({ cluster });
    const theirs: { memberId: string; memberAssignment: Buffer }[] = await kafkajs.assign({
      members: ids.map((memberId) => ({ memberId })),
      topics,
    });
    const ours = roundRobinAssignor.assign(
      ids.map((id) => member(id, topics)),
      new Map(Object.entries(counts)),
    );
    for (const { memberId, memberAssignment } of theirs) {
      expect(encodeAssignment({ assignedPartitions: ours.get(memberId)! }).equals(memberAssignment)).toBe(
        true,
      );
    }
    expect(theirs).toHaveLength(3);
  });
});
