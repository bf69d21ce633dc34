import { describe, expect, it } from 'vitest';
import { readBatchInto } from '../../src/client/batch-reader.js';
import { decodeRecordSet, type FetchedRecord } from '../../src/client/fetcher.js';
import { buildRecordBatch, decodeRecords } from '../../src/protocol/record-batch.js';

const input = [
  { key: 'a', value: 'first', timestamp: 1_700_000_000_000 },
  {
    key: null,
    value: Buffer.alloc(500, 3),
    timestamp: 1_700_000_000_100,
    headers: [{ key: 'trace', value: 'x' }],
  },
  { key: Buffer.alloc(0), value: null, timestamp: 1_699_999_999_000, headers: [{ key: 'ü', value: null }] },
  { key: 'late', value: 'far', timestamp: 1_700_000_000_000 + 2 ** 34 },
];

describe('consumer batch reader', () => {
  for (const compression of [0, 1, 2, 3, 4]) {
    it(`reads what the shared decoder reads (compression ${compression}), skipping below the fetch offset`, async () => {
      const batch = await buildRecordBatch({ baseOffset: 100n, records: input, compression });
      const shared = await decodeRecords(batch);
      const all: FetchedRecord[] = [];
      await readBatchInto(all, batch, 't', 3, 0n);
      expect(
        all.map((r) => [
          r.offset,
          r.timestamp,
          r.key?.toString('hex') ?? null,
          r.value?.toString('hex') ?? null,
          r.headers,
        ]),
      ).toEqual(
        shared.map((r) => [
          r.offset,
          Number(r.timestamp),
          r.key?.toString('hex') ?? null,
          r.value?.toString('hex') ?? null,
          r.headers,
        ]),
      );
      const tail: FetchedRecord[] = [];
      await readBatchInto(tail, batch, 't', 3, 102n);
      expect(tail.map((r) => r.offset)).toEqual([102n, 103n]);
    });
  }

  it('reports a truncated batch and a record that runs past its batch as corrupt', async () => {
    const batch = await buildRecordBatch({ records: [{ value: 'hello' }] });
    await expect(readBatchInto([], batch.subarray(0, batch.length - 3), 't', 0, 0n)).rejects.toThrow(
      /declares \d+ bytes but only \d+ are present/,
    );
    const bad = Buffer.from(batch);
    bad[61] = 0x7e; // the first record's length varint now claims 63 bytes
    await expect(readBatchInto([], bad, 't', 0, 0n)).rejects.toThrow(/past the end of the batch/);
  });
});

describe('record set decoding', () => {
  const target = () => ({
    topic: 't',
    partition: 0,
    records: [] as FetchedRecord[],
    nextOffset: 0n,
    highWatermark: 0n,
    lastStableOffset: 0n,
    logStartOffset: 0n,
    bytes: 0,
  });

  it('decodes whole batches, leaves a trailing partial one and moves nextOffset past the whole ones', async () => {
    const a = await buildRecordBatch({ baseOffset: 0n, records: [{ value: 'a0' }, { value: 'a1' }] });
    const b = await buildRecordBatch({ baseOffset: 2n, records: [{ value: 'b0' }] });
    const t = target();
    await decodeRecordSet(t, Buffer.concat([a, b.subarray(0, 30)]), 1n);
    expect(t.records.map((r) => r.value?.toString())).toEqual(['a1']);
    expect(t.nextOffset).toBe(2n);
  });

  it('refuses a batch whose CRC does not match, unless CRC checks are off', async () => {
    const batch = await buildRecordBatch({ records: [{ value: 'hello' }] });
    batch[batch.length - 2] ^= 0xff; // damage a byte of the record
    await expect(decodeRecordSet(target(), batch, 0n)).rejects.toThrow(/fails its CRC-32C check/);
    const t = target();
    await decodeRecordSet(t, batch, 0n, false);
    expect(t.records).toHaveLength(1);
  });
});
