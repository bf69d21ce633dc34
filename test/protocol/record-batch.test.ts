import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/protocol/crc32c.js';
import {
  BATCH_HEADER_SIZE,
  buildRecordBatch,
  CorruptRecordError,
  decodeRecords,
  iterateBatches,
  readBatchHeader,
  setBaseOffset,
  splitBatches,
  UnsupportedMagicError,
  verifyBatchCrc,
} from '../../src/protocol/record-batch.js';

describe('CRC-32C', () => {
  it('matches the Castagnoli check value and continues from an initial CRC', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    const whole = crc32c(Buffer.from('hello world'));
    expect(crc32c(Buffer.from(' world'), crc32c(Buffer.from('hello')))).toBe(whole);
  });
});

describe('record batch v2', () => {
  const records = [
    { key: 'k1', value: 'v1', timestamp: 1_700_000_000_000n, headers: [{ key: 'h', value: 'x' }] },
    { key: null, value: Buffer.alloc(300, 1), timestamp: 1_700_000_000_005n },
    { key: 'k3', value: null, timestamp: 1_699_999_999_990n, headers: [{ key: 'null', value: null }] },
  ];

  it('builds a batch whose header, CRC and records read back exactly', async () => {
    const buf = await buildRecordBatch({
      baseOffset: 42n,
      records,
      producerId: 7n,
      producerEpoch: 1,
      baseSequence: 9,
    });
    const h = readBatchHeader(buf, 0);
    expect(h).toMatchObject({
      baseOffset: 42n,
      batchLength: buf.length - 12,
      magic: 2,
      lastOffsetDelta: 2,
      baseTimestamp: 1_699_999_999_990n,
      maxTimestamp: 1_700_000_000_005n,
      producerId: 7n,
      producerEpoch: 1,
      baseSequence: 9,
      recordCount: 3,
    });
    expect(h.attributes).toEqual({
      compression: 0,
      timestampType: 'CreateTime',
      transactional: false,
      control: false,
    });
    expect(verifyBatchCrc(buf)).toBe(true);
    const out = await decodeRecords(buf);
    expect(out.map((r) => r.offset)).toEqual([42n, 43n, 44n]);
    expect(out.map((r) => r.timestamp)).toEqual(records.map((r) => r.timestamp));
    expect(out[0].key?.toString()).toBe('k1');
    expect(out[0].headers).toEqual([{ key: 'h', value: Buffer.from('x') }]);
    expect(out[1].key).toBeNull();
    expect(out[1].value?.length).toBe(300);
    expect(out[2].value).toBeNull();
    expect(out[2].headers[0].value).toBeNull();
  });

  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`round-trips records compressed with ${codec}`, async () => {
      const many = Array.from({ length: 200 }, (_, i) => ({
        key: `key-${i}`,
        value: `value-${i}`.repeat(10),
        timestamp: 1000 + i,
      }));
      const buf = await buildRecordBatch({ records: many, compression: codec });
      const h = readBatchHeader(buf);
      expect(h.attributes.compression).toBe(['none', 'gzip', 'snappy', 'lz4', 'zstd'].indexOf(codec));
      expect(verifyBatchCrc(buf)).toBe(true);
      const out = await decodeRecords(buf);
      expect(out).toHaveLength(200);
      expect(out[199].value?.toString()).toBe('value-199'.repeat(10));
      expect(out[199].timestamp).toBe(1199n);
    });
  }

  it('rewrites baseOffset in place without touching the CRC', async () => {
    const buf = await buildRecordBatch({ records: [{ value: 'a' }, { value: 'b' }] });
    const crc = readBatchHeader(buf).crc;
    setBaseOffset(buf, 0, 1_000_000_000_000n);
    expect(readBatchHeader(buf).baseOffset).toBe(1_000_000_000_000n);
    expect(readBatchHeader(buf).crc).toBe(crc);
    expect(verifyBatchCrc(buf)).toBe(true);
    expect((await decodeRecords(buf))[1].offset).toBe(1_000_000_000_001n);
  });

  it('detects a flipped bit anywhere the CRC covers', async () => {
    const buf = await buildRecordBatch({ records: [{ key: 'k', value: 'hello' }] });
    for (const at of [21, 30, BATCH_HEADER_SIZE + 2, buf.length - 1]) {
      const bad = Buffer.from(buf);
      bad[at] ^= 0x10;
      expect(verifyBatchCrc(bad)).toBe(false);
      expect(() => splitBatches(bad, { verifyCrc: true })).toThrow(CorruptRecordError);
    }
  });

  it('splits a record set and reports a trailing partial batch instead of failing', async () => {
    const a = await buildRecordBatch({ baseOffset: 0, records: [{ value: 'a' }] });
    const b = await buildRecordBatch({ baseOffset: 1, records: [{ value: 'bb' }, { value: 'cc' }] });
    const set = Buffer.concat([a, b]);
    const whole = splitBatches(set, { verifyCrc: true });
    expect(whole.batches.map((x) => [x.position, x.size])).toEqual([
      [0, a.length],
      [a.length, b.length],
    ]);
    expect(whole.partialBytes).toBe(0);
    for (const cut of [a.length + 5, a.length + 30, set.length - 1]) {
      const part = splitBatches(set.subarray(0, cut));
      expect(part.batches).toHaveLength(1);
      expect(part.partialBytes).toBe(cut - a.length);
    }
    expect([...iterateBatches(set)].map((x) => x.header.baseOffset)).toEqual([0n, 1n]);
  });

  it('rejects bad magic and impossible lengths with typed errors', async () => {
    const buf = await buildRecordBatch({ records: [{ value: 'a' }] });
    const magic1 = Buffer.from(buf);
    magic1[16] = 1;
    expect(() => readBatchHeader(magic1)).toThrow(UnsupportedMagicError);
    expect(() => splitBatches(magic1)).toThrow(/magic 1/);
    const tiny = Buffer.from(buf);
    tiny.writeInt32BE(10, 8);
    expect(() => splitBatches(tiny)).toThrow(CorruptRecordError);
    expect(() => readBatchHeader(buf.subarray(0, 40))).toThrow(/61 bytes/);
  });

  it('reports a record whose length runs past the batch as corrupt', async () => {
    const buf = await buildRecordBatch({ records: [{ value: 'hello world' }] });
    const bad = Buffer.from(buf);
    bad[BATCH_HEADER_SIZE] = 0x7e; // record length varint now claims 63 bytes
    await expect(decodeRecords(bad)).rejects.toThrow(CorruptRecordError);
  });
});
