import { decompress } from '../protocol/compression.js';
import { BATCH_HEADER_SIZE, CorruptRecordError, LOG_OVERHEAD } from '../protocol/record-batch.js';
import type { FetchedRecord } from './fetcher.js';

/**
 * The consumer's hot path for record batch v2: records are read straight into the objects handed to
 * the application (no intermediate record objects, timestamps as numbers), skipping those before
 * `from`. Same format as src/protocol/record-batch.ts `decodeRecords`; test/client/batch-reader.test.ts
 * checks both agree.
 */

class Cursor {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
  ) {
    this.pos = start;
  }

  /** Zig-zag varint; numbers are exact up to 2^53, far beyond any field of a record. */
  varint(): number {
    const buf = this.buf;
    let raw = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length)
        throw new CorruptRecordError('record data is truncated (varint past the end)');
      const b = buf[this.pos++];
      raw += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      mul *= 128;
    }
    throw new CorruptRecordError('varint longer than 10 bytes');
  }

  bytes(): Buffer | null {
    const len = this.varint();
    if (len < 0) return null;
    const end = this.pos + len;
    if (end > this.buf.length)
      throw new CorruptRecordError(`field of ${len} bytes runs past the end of the batch`);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }
}

/** int64 as a number (exact below 2^53, which covers millisecond timestamps). */
function int64Number(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 0x100000000 + buf.readUInt32BE(at + 4);
}

/**
 * Appends the records of the magic-2 batch at the start of `batch` whose offset is at least `from`.
 * Reads only the header fields it needs, straight from the buffer.
 */
export async function readBatchInto(
  out: FetchedRecord[],
  batch: Buffer,
  topic: string,
  partition: number,
  from: bigint,
): Promise<void> {
  if (batch.length < BATCH_HEADER_SIZE) throw new CorruptRecordError('record batch shorter than its header');
  const size = batch.readInt32BE(8) + LOG_OVERHEAD;
  if (size > batch.length) {
    throw new CorruptRecordError(`record batch declares ${size} bytes but only ${batch.length} are present`);
  }
  if (batch[16] !== 2)
    throw new CorruptRecordError(`record batch has magic ${batch[16]}; only magic 2 is read`);
  const attributes = batch.readInt16BE(21);
  const codec = attributes & 0x07;
  const logAppend = (attributes & 0x08) !== 0;
  const recordCount = batch.readInt32BE(57);
  const body = batch.subarray(BATCH_HEADER_SIZE, size);
  const records = codec === 0 ? body : await decompress(codec, body);
  const c = new Cursor(records, 0);
  const baseTimestamp = int64Number(batch, logAppend ? 35 : 27);
  const baseOffset = batch.readBigInt64BE(0);
  const skipBelow = from > baseOffset ? Number(from - baseOffset) : -1;
  for (let i = 0; i < recordCount; i++) {
    const length = c.varint();
    const end = c.pos + length;
    if (length < 0 || end > records.length) {
      throw new CorruptRecordError(`record ${i} declares ${length} bytes, past the end of the batch`);
    }
    c.pos++; // record attributes: unused
    const tsDelta = c.varint();
    const offsetDelta = c.varint();
    if (offsetDelta < skipBelow) {
      c.pos = end;
      continue;
    }
    const key = c.bytes();
    const value = c.bytes();
    const count = c.varint();
    const headers: { key: string; value: Buffer | null }[] = [];
    for (let h = 0; h < count; h++) {
      const hk = c.bytes();
      headers.push({ key: hk === null ? '' : hk.toString('utf8'), value: c.bytes() });
    }
    if (c.pos !== end) throw new CorruptRecordError(`record ${i} length ${length} does not match its fields`);
    out.push({
      topic,
      partition,
      offset: baseOffset + BigInt(offsetDelta),
      timestamp: logAppend ? baseTimestamp : baseTimestamp + tsDelta,
      key,
      value,
      headers,
    });
  }
}
