import { describe, expect, it } from 'vitest';
import {
  readUnsignedVarint,
  readVarint,
  readVarlong,
  unsignedVarintSize,
  varintSize,
  varlongSize,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
} from '../../src/protocol/varint.js';

const hex = (b: Buffer) => b.toString('hex');

describe('unsigned varints', () => {
  it.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [2 ** 31 - 1, 'ffffffff07'],
    [2 ** 32 - 1, 'ffffffff0f'],
  ])('%i <-> %s', (value, bytes) => {
    const buf = Buffer.alloc(5);
    const end = writeUnsignedVarint(buf, 0, value);
    expect(hex(buf.subarray(0, end))).toBe(bytes);
    expect(unsignedVarintSize(value)).toBe(end);
    expect(readUnsignedVarint(Buffer.from(bytes, 'hex'), 0)).toEqual({ value, next: end });
  });

  it('reads at an offset and reports where it stopped', () => {
    expect(readUnsignedVarint(Buffer.from('ffac0201', 'hex'), 1)).toEqual({ value: 300, next: 3 });
  });

  it('rejects truncated and over-long encodings', () => {
    expect(() => readUnsignedVarint(Buffer.from('80', 'hex'), 0)).toThrow(/past the end/);
    expect(() => readUnsignedVarint(Buffer.from('808080808001', 'hex'), 0)).toThrow(/longer than 5 bytes/);
  });
});

describe('zig-zag varints (int32)', () => {
  it.each([
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-2, '03'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ])('%i <-> %s', (value, bytes) => {
    const buf = Buffer.alloc(5);
    const end = writeVarint(buf, 0, value);
    expect(hex(buf.subarray(0, end))).toBe(bytes);
    expect(varintSize(value)).toBe(end);
    expect(readVarint(Buffer.from(bytes, 'hex'), 0)).toEqual({ value, next: end });
  });
});

describe('zig-zag varlongs (int64)', () => {
  it.each([
    [0n, '00'],
    [-1n, '01'],
    [1n, '02'],
    [1700000000000n, '80a0abfef962'],
    [9223372036854775807n, 'feffffffffffffffff01'],
    [-9223372036854775808n, 'ffffffffffffffffff01'],
  ])('%s <-> %s', (value, bytes) => {
    const buf = Buffer.alloc(10);
    const end = writeVarlong(buf, 0, value);
    expect(hex(buf.subarray(0, end))).toBe(bytes);
    expect(varlongSize(value)).toBe(end);
    expect(readVarlong(Buffer.from(bytes, 'hex'), 0)).toEqual({ value, next: end });
  });

  it('rejects truncated and over-long encodings', () => {
    expect(() => readVarlong(Buffer.from('ff', 'hex'), 0)).toThrow(/past the end/);
    expect(() => readVarlong(Buffer.from('ffffffffffffffffffff01', 'hex'), 0)).toThrow(
      /longer than 10 bytes/,
    );
  });
});
