import { describe, expect, it } from 'vitest';
import { writeRecordBatch } from '../../src/client/batch-writer.js';
import { buildRecordBatch, decodeRecords, verifyBatchCrc } from '../../src/protocol/record-batch.js';

const records = [
  { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1_700_000_000_000 },
  {
    key: null,
    value: Buffer.alloc(300, 7),
    timestamp: 1_700_000_000_005,
    headers: [{ key: 'h', value: Buffer.from('x') }],
  },
  { key: Buffer.alloc(0), value: null, timestamp: 1_699_999_999_990, headers: [{ key: 'é', value: null }] },
  // A timestamp far from the others: the delta no longer fits a 32-bit varint.
  { key: Buffer.from('far'), value: Buffer.from('future'), timestamp: 1_700_000_000_000 + 2 ** 33 },
];
const options = { producerId: 42n, producerEpoch: 3, baseSequence: 17, partitionLeaderEpoch: 0 };

describe('producer batch writer', () => {
  it('writes the same bytes as the shared record-batch builder', async () => {
    const ours = await writeRecordBatch(records, { ...options, compression: 0 });
    const shared = await buildRecordBatch({ records, ...options, compression: 0 });
    expect(ours.toString('hex')).toBe(shared.toString('hex'));
    expect(verifyBatchCrc(ours)).toBe(true);
  });

  for (const [name, code] of [
    ['gzip', 1],
    ['snappy', 2],
    ['lz4', 3],
    ['zstd', 4],
  ] as const) {
    it(`writes ${name} batches the shared decoder reads back exactly`, async () => {
      const ours = await writeRecordBatch(records, { ...options, compression: code });
      expect(verifyBatchCrc(ours)).toBe(true);
      expect(ours.readInt16BE(21) & 7).toBe(code);
      const decoded = await decodeRecords(ours);
      expect(
        decoded.map((r) => [
          r.key?.toString('hex') ?? null,
          r.value?.toString('hex') ?? null,
          Number(r.timestamp),
          r.headers.map((h) => h.key),
        ]),
      ).toEqual(
        records.map((r) => [
          r.key?.toString('hex') ?? null,
          r.value?.toString('hex') ?? null,
          r.timestamp,
          (r.headers ?? []).map((h) => h.key),
        ]),
      );
    });
  }
});
