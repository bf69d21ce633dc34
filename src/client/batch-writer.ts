import { compress } from '../protocol/compression.js';
import { crc32c } from '../protocol/crc32c.js';
import { ATTR_TRANSACTIONAL, BATCH_HEADER_SIZE, LOG_OVERHEAD } from '../protocol/record-batch.js';
import { varintSize, varlongSize, writeVarint, writeVarlong } from '../protocol/varint.js';
import type { ProducerRecord } from './accumulator.js';

/**
 * The producer's hot path for record batch v2: it sizes the whole batch first and writes it into one
 * buffer, records and header in place, instead of a buffer per record joined afterwards. The format is
 * the one src/protocol/record-batch.ts reads and writes (same header layout, CRC-32C over attributes..end);
 * test/client/batch-writer.test.ts checks both produce identical bytes, and the golden tests check our
 * Produce requests against kafkajs byte for byte.
 */

export interface BatchWriterOptions {
  compression: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  partitionLeaderEpoch: number;
  /** Sets the batch's transactional attribute bit: the records belong to the producer's open transaction. */
  transactional?: boolean;
}

type Rec = Pick<ProducerRecord, 'key' | 'value' | 'headers' | 'timestamp'>;

const SMALL = 0x3fffffff;

function deltaSize(delta: number): number {
  return delta >= -SMALL && delta <= SMALL ? varintSize(delta) : varlongSize(BigInt(delta));
}

function bytesFieldSize(b: Buffer | null): number {
  return b === null ? 1 : varintSize(b.length) + b.length;
}

function recordBodySize(
  r: Rec,
  offsetDelta: number,
  timestampDelta: number,
  headerKeys: Buffer[] | null,
): number {
  let size =
    1 + deltaSize(timestampDelta) + varintSize(offsetDelta) + bytesFieldSize(r.key) + bytesFieldSize(r.value);
  const headers = r.headers;
  size += varintSize(headers ? headers.length : 0);
  if (headers && headerKeys) {
    for (let i = 0; i < headers.length; i++)
      size += bytesFieldSize(headerKeys[i]) + bytesFieldSize(headers[i].value);
  }
  return size;
}

function writeBytesField(buf: Buffer, at: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, at, -1);
  const p = writeVarint(buf, at, b.length);
  b.copy(buf, p);
  return p + b.length;
}

/** Encodes the records (without batch header) into `buf` at `at`; returns the end position. */
function writeRecords(
  buf: Buffer,
  at: number,
  records: readonly Rec[],
  base: number,
  sizes: number[],
  keys: (Buffer[] | null)[],
): number {
  let p = at;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const delta = r.timestamp - base;
    p = writeVarint(buf, p, sizes[i]);
    buf[p++] = 0;
    p = delta >= -SMALL && delta <= SMALL ? writeVarint(buf, p, delta) : writeVarlong(buf, p, BigInt(delta));
    p = writeVarint(buf, p, i);
    p = writeBytesField(buf, p, r.key);
    p = writeBytesField(buf, p, r.value);
    const headers = r.headers;
    const hk = keys[i];
    p = writeVarint(buf, p, headers ? headers.length : 0);
    if (headers && hk) {
      for (let h = 0; h < headers.length; h++) {
        p = writeBytesField(buf, p, hk[h]);
        p = writeBytesField(buf, p, headers[h].value);
      }
    }
  }
  return p;
}

export async function writeRecordBatch(
  records: readonly Rec[],
  options: BatchWriterOptions,
): Promise<Buffer> {
  const n = records.length;
  if (n === 0) throw new RangeError('a record batch needs at least one record');
  let base = records[0].timestamp;
  let max = base;
  for (let i = 1; i < n; i++) {
    const t = records[i].timestamp;
    if (t < base) base = t;
    if (t > max) max = t;
  }
  const sizes = new Array<number>(n);
  const keys = new Array<Buffer[] | null>(n);
  let recordsSize = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    const hk = r.headers ? r.headers.map((h) => Buffer.from(h.key, 'utf8')) : null;
    keys[i] = hk;
    const s = recordBodySize(r, i, r.timestamp - base, hk);
    sizes[i] = s;
    recordsSize += varintSize(s) + s;
  }
  let buf: Buffer;
  if (options.compression === 0) {
    buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE + recordsSize);
    writeRecords(buf, BATCH_HEADER_SIZE, records, base, sizes, keys);
  } else {
    const plain = Buffer.allocUnsafe(recordsSize);
    writeRecords(plain, 0, records, base, sizes, keys);
    const body = await compress(options.compression, plain);
    buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body.length);
    body.copy(buf, BATCH_HEADER_SIZE);
  }
  buf.writeBigInt64BE(0n, 0);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, 8);
  buf.writeInt32BE(options.partitionLeaderEpoch, 12);
  buf.writeInt8(2, 16);
  buf.writeInt16BE((options.compression & 0x07) | (options.transactional ? ATTR_TRANSACTIONAL : 0), 21);
  buf.writeInt32BE(n - 1, 23);
  buf.writeBigInt64BE(BigInt(base), 27);
  buf.writeBigInt64BE(BigInt(max), 35);
  buf.writeBigInt64BE(options.producerId, 43);
  buf.writeInt16BE(options.producerEpoch, 51);
  buf.writeInt32BE(options.baseSequence, 53);
  buf.writeInt32BE(n, 57);
  buf.writeUInt32BE(crc32c(buf.subarray(21)) >>> 0, 17);
  return buf;
}
