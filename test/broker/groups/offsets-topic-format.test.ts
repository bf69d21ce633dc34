import { describe, expect, it } from 'vitest';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsTopicKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  OffsetsTopicFormatError,
  offsetsPartitionFor,
} from '../../../src/broker/groups/offsets-topic-format.js';

describe('__consumer_offsets record formats', () => {
  it('writes the offset commit key v1 byte for byte', () => {
    const key = encodeOffsetCommitKey('g', 'tp', 3);
    expect(key.toString('hex')).toBe(
      [
        '0001', // version 1
        '0001', // group length
        Buffer.from('g').toString('hex'),
        '0002',
        Buffer.from('tp').toString('hex'),
        '00000003',
      ].join(''),
    );
    expect(decodeOffsetsTopicKey(key)).toEqual({ kind: 'offset', group: 'g', topic: 'tp', partition: 3 });
  });

  it('writes offset commit value v3 (offset, leader epoch, metadata, commit timestamp)', () => {
    const value = encodeOffsetCommitValue({
      offset: 42,
      leaderEpoch: 7,
      metadata: 'm',
      commitTimestamp: 1_700_000_000_000,
      expireTimestamp: -1,
    });
    expect(value.readInt16BE(0)).toBe(3);
    expect(value.readBigInt64BE(2)).toBe(42n);
    expect(value.readInt32BE(10)).toBe(7);
    expect(value.readInt16BE(14)).toBe(1);
    expect(value.toString('utf8', 16, 17)).toBe('m');
    expect(value.readBigInt64BE(17)).toBe(1_700_000_000_000n);
    expect(value.length).toBe(25);
    expect(decodeOffsetCommitValue(value)).toEqual({
      offset: 42,
      leaderEpoch: 7,
      metadata: 'm',
      commitTimestamp: 1_700_000_000_000,
      expireTimestamp: -1,
    });
  });

  it('falls back to value v1 when the commit has an explicit expiry, which v3 cannot hold', () => {
    const value = encodeOffsetCommitValue({
      offset: 5,
      leaderEpoch: 2,
      metadata: '',
      commitTimestamp: 1000,
      expireTimestamp: 61_000,
    });
    expect(value.readInt16BE(0)).toBe(1);
    expect(decodeOffsetCommitValue(value)).toEqual({
      offset: 5,
      leaderEpoch: -1,
      metadata: '',
      commitTimestamp: 1000,
      expireTimestamp: 61_000,
    });
  });

  it('reads value v0 written by old brokers', () => {
    const v0 = Buffer.alloc(2 + 8 + 2 + 8);
    v0.writeInt16BE(0, 0);
    v0.writeBigInt64BE(99n, 2);
    v0.writeInt16BE(0, 10);
    v0.writeBigInt64BE(123n, 12);
    expect(decodeOffsetCommitValue(v0)).toMatchObject({ offset: 99, metadata: '', commitTimestamp: 123 });
  });

  it('writes group metadata key v2 and value v1 with members, and reads them back', () => {
    const key = encodeGroupMetadataKey('grp');
    expect(key.toString('hex')).toBe(`00020003${Buffer.from('grp').toString('hex')}`);
    expect(decodeOffsetsTopicKey(key)).toEqual({ kind: 'group', group: 'grp' });
    const meta = {
      protocolType: 'consumer',
      generation: 4,
      protocol: 'range',
      leader: 'm-1',
      currentStateTimestamp: -1,
      members: [
        {
          memberId: 'm-1',
          groupInstanceId: null,
          clientId: 'c',
          clientHost: '/127.0.0.1',
          rebalanceTimeoutMs: 60_000,
          sessionTimeoutMs: 10_000,
          subscription: Buffer.from([0, 1, 2]),
          assignment: Buffer.from([9, 8]),
        },
      ],
    };
    const value = encodeGroupMetadataValue(meta);
    expect(value.readInt16BE(0)).toBe(1);
    expect(decodeGroupMetadataValue(value)).toEqual(meta);
  });

  it('reads group metadata v0 (no rebalance timeout) using the session timeout for both', () => {
    const parts = [
      int16(0),
      str('consumer'),
      int32(1),
      str('range'),
      str('a'),
      int32(1),
      str('a'),
      str('cid'),
      str('/h'),
      int32(30_000),
      bytes(Buffer.from('s')),
      bytes(Buffer.from('x')),
    ];
    const v = decodeGroupMetadataValue(Buffer.concat(parts));
    expect(v.members[0]).toMatchObject({
      memberId: 'a',
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 30_000,
    });
  });

  it('rejects unknown versions and truncated values with a reason', () => {
    expect(() => decodeOffsetsTopicKey(int16(9))).toThrow(/schema version 9/);
    expect(() => decodeOffsetCommitValue(Buffer.from([0, 3, 0, 0]))).toThrow(OffsetsTopicFormatError);
    expect(() => decodeOffsetCommitValue(Buffer.from([0, 3, 0, 0]))).toThrow(/truncated/);
  });

  it('places groups on partitions as Kafka does (Java String.hashCode, sign bit masked)', () => {
    // "hello".hashCode() == 99162322 in Java; 99162322 % 50 == 22.
    expect(offsetsPartitionFor('hello', 50)).toBe(22);
    // "polygenelubricants".hashCode() == Integer.MIN_VALUE; Kafka's Utils.abs maps it to 0.
    expect(offsetsPartitionFor('polygenelubricants', 50)).toBe(0);
    expect(offsetsPartitionFor('anything', 1)).toBe(0);
  });
});

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
function bytes(b: Buffer): Buffer {
  return Buffer.concat([int32(b.length), b]);
}
