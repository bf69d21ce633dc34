/**
 * Record batches against a real third-party client: kafka-python 2.0.2 (Debian's python3-kafka) reads
 * the batches we build (checking their CRC-32C) and builds batches we read. Its codec module has only
 * gzip on this machine; snappy/lz4/zstd interop is exercised by the broker's compat suites (kcat).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildRecordBatch,
  decodeRecords,
  readBatchHeader,
  verifyBatchCrc,
} from '../../src/protocol/record-batch.js';

const PYTHON = '/usr/bin/python3';
const script = path.join(import.meta.dirname, 'fixtures', 'record-batch-kafka-python.py');

function kafkaPythonAvailable(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import kafka.record.default_records'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const available = fs.existsSync(PYTHON) && kafkaPythonAvailable();
if (!available) {
  if (process.env.CI)
    throw new Error('CI: /usr/bin/python3 with python3-kafka is required for record batch compat tests');
  console.warn(
    '\n*** SKIPPING record batch compat tests: /usr/bin/python3 with python3-kafka not found ***\n',
  );
}

interface PyRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
}

function kafkaPython(req: unknown) {
  const out = execFileSync(PYTHON, [script], { input: JSON.stringify(req), encoding: 'utf8' });
  return JSON.parse(out) as {
    decoded: { crc_ok: boolean; base_offset: number; codec: number; records: PyRecord[] }[];
    built: string[];
  };
}

const records = [
  { key: 'k0', value: 'hello', timestamp: 1_700_000_000_000, headers: [{ key: 'trace', value: 'abc' }] },
  { key: null, value: 'no key'.repeat(50), timestamp: 1_700_000_000_123, headers: [] },
  { key: 'k2', value: null, timestamp: 1_699_999_999_000, headers: [{ key: 'n', value: null }] },
];

describe.skipIf(!available)('record batches vs kafka-python', () => {
  it('kafka-python reads the batches we build, CRC included (none and gzip)', async () => {
    const ours = [
      await buildRecordBatch({ baseOffset: 100, records }),
      await buildRecordBatch({ baseOffset: 5, records, compression: 'gzip' }),
    ];
    const { decoded } = kafkaPython({ decode: ours.map((b) => b.toString('hex')), build: [] });
    expect(decoded.map((d) => [d.crc_ok, d.base_offset, d.codec])).toEqual([
      [true, 100, 0],
      [true, 5, 1],
    ]);
    for (const d of decoded) {
      expect(d.records.map((r) => [r.key, r.value, r.timestamp, r.headers])).toEqual(
        records.map((r) => [r.key, r.value, r.timestamp, r.headers.map((h) => [h.key, h.value])]),
      );
      expect(d.records.map((r) => r.offset)).toEqual([0, 1, 2].map((i) => d.base_offset + i));
    }
  });

  it('we read the batches kafka-python builds, and a corrupted one fails our CRC check', async () => {
    const spec = records.map((r) => [r.key, r.value, r.timestamp, r.headers.map((h) => [h.key, h.value])]);
    const { built } = kafkaPython({
      decode: [],
      build: [
        { codec: 0, records: spec },
        { codec: 1, records: spec },
      ],
    });
    for (const [i, hex] of built.entries()) {
      const buf = Buffer.from(hex, 'hex');
      expect(verifyBatchCrc(buf)).toBe(true);
      const h = readBatchHeader(buf);
      expect(h).toMatchObject({ producerId: 42n, producerEpoch: 3, baseSequence: 7, recordCount: 3 });
      expect(h.attributes.compression).toBe(i);
      const out = await decodeRecords(buf);
      expect(out.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestamp])).toEqual(
        records.map((r) => [r.key, r.value, BigInt(r.timestamp)]),
      );
      expect(out[0].headers).toEqual([{ key: 'trace', value: Buffer.from('abc') }]);
      buf[buf.length - 3] ^= 0x55;
      expect(verifyBatchCrc(buf)).toBe(false);
    }
  });
});
