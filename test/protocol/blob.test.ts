import { describe, expect, it } from 'vitest';
import { BlobReader, BlobWriter } from '../../src/protocol/blob.js';

const truncated = (needed: number, offset: number, length: number) =>
  new Error(`truncated: ${needed} at ${offset} of ${length}`);

describe('classic blob encoding', () => {
  it('reads back what it writes, nulls included', () => {
    const w = new BlobWriter();
    const bytes = w
      .int16(3)
      .int64(-2n)
      .string(null)
      .string('héllo')
      .bytes(null)
      .bytes(Buffer.from([1, 2]))
      .array([7, 8], (v) => w.int32(v))
      .done();
    const r = new BlobReader(bytes, truncated);
    expect([r.int16(), r.int64(), r.nullableString(), r.string(), r.nullableBytes(false)]).toEqual([
      3,
      -2n,
      null,
      'héllo',
      null,
    ]);
    expect(r.nullableBytes(true)).toEqual(Buffer.from([1, 2]));
    expect(r.array(() => r.int32())).toEqual([7, 8]);
    expect(r.more()).toBe(false);
  });

  it("reports truncation and impossible counts with the caller's error, before allocating", () => {
    const count = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
    expect(() => new BlobReader(count, truncated).array(() => 0, 2)).toThrow('truncated: 5 at 4 of 4');
    expect(() => new BlobReader(Buffer.from([0, 5, 0x61]), truncated).string()).toThrow(
      'truncated: 5 at 2 of 3',
    );
    const tooLong = (n: number) => new Error(`too long: ${n}`);
    expect(() => new BlobWriter(tooLong).string('x'.repeat(40_000))).toThrow('too long: 40000');
  });
});
