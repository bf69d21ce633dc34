import { describe, expect, it } from 'vitest';
import { writeInt64 } from '../../src/protocol/codec/write.js';

/** What Node writes, the reference the codec's own int64 path must match byte for byte. */
function nodeBytes(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
}

describe('writeInt64', () => {
  const values: bigint[] = [
    0n,
    1n,
    -1n, // ListOffsets' "latest"
    -2n, // "earliest"
    4_294_967_295n,
    4_294_967_296n,
    -4_294_967_296n,
    -4_294_967_297n,
    1_796_395_833_014n, // a timestamp in ms
    2n ** 53n - 1n,
    -(2n ** 53n) + 1n,
    2n ** 53n, // past a Number's exact range: Node's path
    2n ** 63n - 1n,
    -(2n ** 63n),
  ];

  it('writes every int64 as Buffer.writeBigInt64BE does, from a bigint and from a safe integer Number', () => {
    for (const v of values) {
      const b = Buffer.alloc(10, 0xee);
      expect(writeInt64(b, v, 1, 'offset')).toBe(9);
      expect(b.subarray(1, 9)).toEqual(nodeBytes(v));
      expect([b[0], b[9]]).toEqual([0xee, 0xee]);
      if (Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v) {
        const c = Buffer.alloc(8);
        writeInt64(c, Number(v), 0, 'offset');
        expect(c).toEqual(nodeBytes(v));
      }
    }
  });

  it('refuses what is not an integer, naming the field', () => {
    expect(() => writeInt64(Buffer.alloc(8), 1.5, 0, 'timestamp')).toThrow(/field timestamp/);
    expect(() => writeInt64(Buffer.alloc(8), '7', 0, 'timestamp')).toThrow(/expected an int64/);
    expect(() => writeInt64(Buffer.alloc(8), 2n ** 63n, 0, 'offset')).toThrow(RangeError);
  });
});
