import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createDefaultPartitioner, murmur2, partitionForKey } from '../../src/client/partitioner.js';

const require = createRequire(import.meta.url);
const { Partitioners } = require('kafkajs') as {
  Partitioners: {
    DefaultPartitioner: () => (args: {
      topic: string;
      partitionMetadata: { partitionId: number; leader: number }[];
      message: { key: Buffer | string; value: string };
    }) => number;
  };
};

function pseudoRandomBytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('murmur2 partitioner', () => {
  it("matches the Java client's murmur2 test vectors", () => {
    // Values from Kafka's own UtilsTest.testMurmur2.
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect(murmur2(Buffer.from(key)), key).toBe(hash);
  });

  it("puts every keyed record on the partition kafkajs's DefaultPartitioner chooses", () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    let checked = 0;
    for (const partitions of [1, 3, 7, 12, 64, 100]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0 }));
      for (let i = 0; i < 300; i++) {
        const key = i % 2 === 0 ? `user-${i * 7919}` : pseudoRandomBytes(i + partitions, i % 41);
        const theirs = kafkajs({ topic: 't', partitionMetadata, message: { key, value: 'v' } });
        expect(partitionForKey(key, partitions)).toBe(theirs);
        checked++;
      }
    }
    expect(checked).toBe(1800);
  });

  it('counts unavailable partitions for keyed records, as Java does', () => {
    const p = createDefaultPartitioner();
    const partitions = [0, 1, 2, 3].map((partition) => ({ partition, leader: partition === 2 ? -1 : 0 }));
    const key = 'some-key';
    expect(p({ topic: 't', key, sizeBytes: 10, partitions })).toBe(partitionForKey(key, 4));
  });

  it('sticks unkeyed records to one available partition per stickyBytes, then rotates', () => {
    const p = createDefaultPartitioner({ stickyBytes: 100 });
    const partitions = [0, 1, 2].map((partition) => ({ partition, leader: partition === 1 ? -1 : 0 }));
    const chosen = Array.from({ length: 12 }, () => p({ topic: 't', key: null, sizeBytes: 50, partitions }));
    // 2 records of 50 B fill 100 B, then move on; partition 1 has no leader and is skipped.
    expect(chosen).toEqual([0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 2, 2]);
  });

  it('rejects a topic without partitions with a clear message', () => {
    const p = createDefaultPartitioner();
    expect(() => p({ topic: 'x', key: null, sizeBytes: 1, partitions: [] })).toThrow(/no partitions/);
    expect(() => partitionForKey('k', 0)).toThrow(/partitionCount must be a whole number >= 1 \(got 0\)/);
  });
});
