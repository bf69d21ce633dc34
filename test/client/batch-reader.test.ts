import { describe, expect, it } from 'vitest';
import { readBatchInto } from '../../src/client/batch-reader.js';
import type { FetchedRecord } from '../../src/client/fetcher.js';
import { buildRecordBatch, decodeRecords, readBatchHeader } from '../../src/protocol/record-batch.js';

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
      const header = readBatchHeader(batch);
      const shared = await decodeRecords(batch);
      const all: FetchedRecord[] = [];
      await readBatchInto(all, batch, header, 't', 3, 0n);
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
      await readBatchInto(tail, batch, header, 't', 3, 102n);
      expect(tail.map((r) => r.offset)).toEqual([102n, 103n]);
    });
  }

  it('reports a record that runs past the batch as corrupt', async () => {
    const batch = await buildRecordBatch({ records: [{ value: 'hello' }] });
    const header = readBatchHeader(batch);
    await expect(readBatchInto([], batch.subarray(0, batch.length - 3), header, 't', 0, 0n)).rejects.toThrow(
      /past the end/,
    );
  });
});
