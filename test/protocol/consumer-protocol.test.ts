import { describe, expect, it } from 'vitest';
import {
  ConsumerProtocolError,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../src/protocol/consumer-protocol.js';

function int16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
}
function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}
function str(s: string): Buffer {
  return Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);
}

describe('consumer protocol member blobs', () => {
  it('round-trips an assignment and reads the empty blob of an unassigned member', () => {
    const blob = encodeAssignment({
      assignedPartitions: [
        { topic: 'a', partitions: [0, 2] },
        { topic: 'bb', partitions: [1] },
      ],
    });
    expect(blob.subarray(0, 6).toString('hex')).toBe('000000000002');
    expect(decodeAssignment(blob)).toEqual({
      version: 0,
      assignedPartitions: [
        { topic: 'a', partitions: [0, 2] },
        { topic: 'bb', partitions: [1] },
      ],
      userData: Buffer.alloc(0),
    });
    expect(blob.subarray(-4).toString('hex')).toBe('00000000'); // no user data: empty bytes, as Kafka's clients write
    expect(decodeAssignment(Buffer.alloc(0)).assignedPartitions).toEqual([]);
  });

  it('reads subscriptions v0 and v1 (owned partitions), as librdkafka and kafkajs write them', () => {
    const v0 = Buffer.concat([int16(0), int32(2), str('t1'), str('t2'), int32(-1)]);
    expect(decodeSubscription(v0)).toMatchObject({
      version: 0,
      topics: ['t1', 't2'],
      userData: null,
    });
    const v1 = Buffer.concat([
      int16(1),
      int32(1),
      str('t'),
      int32(2),
      Buffer.from('ud'),
      int32(1),
      str('t'),
      int32(1),
      int32(4),
    ]);
    expect(decodeSubscription(v1)).toMatchObject({
      version: 1,
      topics: ['t'],
      userData: Buffer.from('ud'),
      ownedPartitions: [{ topic: 't', partitions: [4] }],
      generationId: -1,
    });
  });

  it('names truncation and absurd counts instead of allocating', () => {
    expect(() => decodeAssignment(Buffer.from([0, 0, 0, 0]))).toThrow(ConsumerProtocolError);
    expect(() => decodeAssignment(Buffer.concat([int16(0), int32(0x7fffffff)]))).toThrow(/truncated/);
  });

  it("round-trips a v3 subscription byte for byte, with every field in Kafka's order", () => {
    const blob = encodeSubscription({
      version: 3,
      topics: ['t'],
      userData: Buffer.from('u'),
      ownedPartitions: [{ topic: 't', partitions: [1] }],
      generationId: 7,
      rackId: 'r1',
    });
    const expected = Buffer.concat([
      int16(3),
      int32(1),
      str('t'),
      int32(1),
      Buffer.from('u'),
      int32(1),
      str('t'),
      int32(1),
      int32(1),
      int32(7),
      str('r1'),
    ]);
    expect(blob.toString('hex')).toBe(expected.toString('hex'));
    expect(decodeSubscription(blob)).toEqual({
      version: 3,
      topics: ['t'],
      userData: Buffer.from('u'),
      ownedPartitions: [{ topic: 't', partitions: [1] }],
      generationId: 7,
      rackId: 'r1',
    });
  });

  it('reads a subscription that stops early as its defaults, and a newer version by the newest layout', () => {
    const stopsAfterUserData = Buffer.concat([int16(2), int32(1), str('t'), int32(-1)]);
    expect(decodeSubscription(stopsAfterUserData)).toEqual({
      version: 2,
      topics: ['t'],
      userData: null,
      ownedPartitions: [],
      generationId: -1,
      rackId: null,
    });
    const v3 = encodeSubscription({ version: 3, topics: ['t'], rackId: 'r' });
    const v9 = Buffer.concat([int16(9), v3.subarray(2), Buffer.from([1, 2, 3])]);
    expect(decodeSubscription(v9)).toMatchObject({ version: 9, topics: ['t'], rackId: 'r' });
    expect(() => decodeSubscription(int16(-1))).toThrow(/schema version -1/);
  });
});
