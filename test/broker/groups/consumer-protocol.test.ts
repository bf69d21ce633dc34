import { describe, expect, it } from 'vitest';
import {
  ConsumerProtocolError,
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  encodeConsumerAssignment,
} from '../../../src/broker/groups/consumer-protocol.js';

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
    const blob = encodeConsumerAssignment([
      { topic: 'a', partitions: [0, 2] },
      { topic: 'bb', partitions: [1] },
    ]);
    expect(blob.subarray(0, 6).toString('hex')).toBe('000000000002');
    expect(decodeConsumerAssignment(blob)).toEqual({
      version: 0,
      assigned: [
        { topic: 'a', partitions: [0, 2] },
        { topic: 'bb', partitions: [1] },
      ],
      userData: null,
    });
    expect(decodeConsumerAssignment(Buffer.alloc(0)).assigned).toEqual([]);
  });

  it('reads subscriptions v0 and v1 (owned partitions), as librdkafka and kafkajs write them', () => {
    const v0 = Buffer.concat([int16(0), int32(2), str('t1'), str('t2'), int32(-1)]);
    expect(decodeConsumerSubscription(v0)).toMatchObject({
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
    expect(decodeConsumerSubscription(v1)).toMatchObject({
      version: 1,
      topics: ['t'],
      userData: Buffer.from('ud'),
      ownedPartitions: [{ topic: 't', partitions: [4] }],
      generationId: -1,
    });
  });

  it('names truncation and absurd counts instead of allocating', () => {
    expect(() => decodeConsumerAssignment(Buffer.from([0, 0, 0, 0]))).toThrow(ConsumerProtocolError);
    expect(() => decodeConsumerAssignment(Buffer.concat([int16(0), int32(0x7fffffff)]))).toThrow(/truncated/);
  });
});
