/**
 * Magic-2 record batches (Kafka 0.11+), the unit the broker stores and serves.
 *
 * Layout of the 61-byte header (big-endian):
 *   0 baseOffset int64 | 8 batchLength int32 (bytes after this field) | 12 partitionLeaderEpoch int32
 *   16 magic int8 | 17 crc uint32 | 21 attributes int16 | 23 lastOffsetDelta int32
 *   27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16
 *   53 baseSequence int32 | 57 recordCount int32 | 61 records...
 *
 * The CRC-32C covers attributes..end, so the broker rewrites baseOffset and partitionLeaderEpoch in
 * place without recomputing it.
 */
import { codecName, compress, type DecompressOptions, decompress } from './compression.js';
import { crc32c } from './crc32c.js';
import { readVarint, readVarlong, varintSize, varlongSize, writeVarint, writeVarlong } from './varint.js';

export const BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12;
const CURRENT_MAGIC = 2;

const OFF_BASE_OFFSET = 0;
const OFF_LENGTH = 8;
const OFF_LEADER_EPOCH = 12;
const OFF_MAGIC = 16;
const OFF_CRC = 17;
const OFF_ATTRIBUTES = 21;
const OFF_LAST_OFFSET_DELTA = 23;
const OFF_BASE_TIMESTAMP = 27;
const OFF_MAX_TIMESTAMP = 35;
const OFF_PRODUCER_ID = 43;
const OFF_PRODUCER_EPOCH = 51;
const OFF_BASE_SEQUENCE = 53;
const OFF_RECORD_COUNT = 57;

const ATTR_COMPRESSION_MASK = 0x07;
const ATTR_TIMESTAMP_TYPE = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
const ATTR_CONTROL = 0x20;

type TimestampType = 'CreateTime' | 'LogAppendTime';

/** Kafka error code and name a batch problem maps to, so the Produce handler can answer with it. */
export class RecordBatchError extends Error {
  override name = 'RecordBatchError';
  constructor(
    message: string,
    readonly errorCode: number,
    readonly errorName: string,
  ) {
    super(message);
  }
}

/** Bad CRC, impossible lengths, truncated records: Kafka's CORRUPT_MESSAGE (2). */
export class CorruptRecordError extends RecordBatchError {
  override name = 'CorruptRecordError';
  constructor(message: string) {
    super(message, 2, 'CORRUPT_MESSAGE');
  }
}

/** A magic byte other than 2 (Kafka answers UNSUPPORTED_FOR_MESSAGE_FORMAT, 43). */
export class UnsupportedMagicError extends RecordBatchError {
  override name = 'UnsupportedMagicError';
  constructor(readonly magic: number) {
    super(
      `record batch has magic ${magic}; only magic 2 (Kafka 0.11+ record batches) is supported: ` +
        'upgrade the client or configure it for a broker of version 0.11 or later',
      43,
      'UNSUPPORTED_FOR_MESSAGE_FORMAT',
    );
  }
}

/** Structurally sound batch whose content breaks a rule (e.g. record count vs offset deltas): INVALID_RECORD (87). */
export class InvalidRecordError extends RecordBatchError {
  override name = 'InvalidRecordError';
  constructor(message: string) {
    super(message, 87, 'INVALID_RECORD');
  }
}

interface BatchAttributes {
  compression: number;
  timestampType: TimestampType;
  transactional: boolean;
  control: boolean;
}

interface BatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: BatchAttributes;
  rawAttributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

function parseAttributes(raw: number): BatchAttributes {
  return {
    compression: raw & ATTR_COMPRESSION_MASK,
    timestampType: raw & ATTR_TIMESTAMP_TYPE ? 'LogAppendTime' : 'CreateTime',
    transactional: (raw & ATTR_TRANSACTIONAL) !== 0,
    control: (raw & ATTR_CONTROL) !== 0,
  };
}

/** Total bytes of the batch starting at `at` (header included), read from its length field. */
function batchSizeAt(buf: Buffer, at: number): number {
  return LOG_OVERHEAD + buf.readInt32BE(at + OFF_LENGTH);
}

/** Reads the 61-byte header at `offset`. Checks magic and that the header fits; not the CRC. */
export function readBatchHeader(buf: Buffer, offset = 0): BatchHeader {
  if (offset + BATCH_HEADER_SIZE > buf.length) {
    throw new CorruptRecordError(
      `record batch header needs ${BATCH_HEADER_SIZE} bytes at position ${offset}, only ${buf.length - offset} left`,
    );
  }
  const magic = buf.readInt8(offset + OFF_MAGIC);
  if (magic !== CURRENT_MAGIC) throw new UnsupportedMagicError(magic);
  const batchLength = buf.readInt32BE(offset + OFF_LENGTH);
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) {
    throw new CorruptRecordError(
      `record batch length ${batchLength} is smaller than the ${BATCH_HEADER_SIZE - LOG_OVERHEAD}-byte minimum`,
    );
  }
  const rawAttributes = buf.readInt16BE(offset + OFF_ATTRIBUTES);
  return {
    baseOffset: buf.readBigInt64BE(offset + OFF_BASE_OFFSET),
    batchLength,
    partitionLeaderEpoch: buf.readInt32BE(offset + OFF_LEADER_EPOCH),
    magic,
    crc: buf.readUInt32BE(offset + OFF_CRC),
    attributes: parseAttributes(rawAttributes),
    rawAttributes,
    lastOffsetDelta: buf.readInt32BE(offset + OFF_LAST_OFFSET_DELTA),
    baseTimestamp: buf.readBigInt64BE(offset + OFF_BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(offset + OFF_MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(offset + OFF_PRODUCER_ID),
    producerEpoch: buf.readInt16BE(offset + OFF_PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(offset + OFF_BASE_SEQUENCE),
    recordCount: buf.readInt32BE(offset + OFF_RECORD_COUNT),
  };
}

/** CRC-32C the batch at `offset` should carry (over attributes..end). */
export function computeBatchCrc(buf: Buffer, offset = 0): number {
  const end = offset + batchSizeAt(buf, offset);
  return crc32c(buf.subarray(offset + OFF_ATTRIBUTES, end));
}

/** True when the stored CRC matches the bytes. The whole batch must be in `buf`. */
export function verifyBatchCrc(buf: Buffer, offset = 0): boolean {
  if (offset + BATCH_HEADER_SIZE > buf.length || offset + batchSizeAt(buf, offset) > buf.length) return false;
  return buf.readUInt32BE(offset + OFF_CRC) === computeBatchCrc(buf, offset);
}

/** Rewrites the CRC after the broker changed covered fields (attributes, maxTimestamp). */
function rewriteBatchCrc(buf: Buffer, offset = 0): void {
  buf.writeUInt32BE(computeBatchCrc(buf, offset), offset + OFF_CRC);
}

/** Sets baseOffset in place; the CRC does not cover it. */
export function setBaseOffset(buf: Buffer, at: number, baseOffset: bigint | number): void {
  buf.writeBigInt64BE(BigInt(baseOffset), at + OFF_BASE_OFFSET);
}

export function setPartitionLeaderEpoch(buf: Buffer, at: number, epoch: number): void {
  buf.writeInt32BE(epoch, at + OFF_LEADER_EPOCH);
}

/** Marks the batch LogAppendTime with the broker's time as maxTimestamp, and re-signs it. */
export function setLogAppendTime(buf: Buffer, at: number, timestampMs: bigint): void {
  buf.writeInt16BE(buf.readInt16BE(at + OFF_ATTRIBUTES) | ATTR_TIMESTAMP_TYPE, at + OFF_ATTRIBUTES);
  buf.writeBigInt64BE(timestampMs, at + OFF_MAX_TIMESTAMP);
  rewriteBatchCrc(buf, at);
}

interface BatchSlice {
  /** Position of the batch in the record set. */
  position: number;
  /** Total size, header included. */
  size: number;
  header: BatchHeader;
}

interface SplitResult {
  batches: BatchSlice[];
  /**
   * Bytes at the end that do not form a whole batch. Fetch responses may legally end with a partial
   * batch (the broker cut at max_bytes); a Produce request may not.
   */
  partialBytes: number;
}

interface SplitOptions {
  /** Check every batch's CRC (a CorruptRecordError names the first bad one). */
  verifyCrc?: boolean;
}

/** Splits a record set into its batches without copying. Throws on structural corruption. */
export function splitBatches(buf: Buffer, opts: SplitOptions = {}): SplitResult {
  const batches: BatchSlice[] = [];
  let at = 0;
  while (at < buf.length) {
    const left = buf.length - at;
    if (left < LOG_OVERHEAD) return { batches, partialBytes: left };
    const size = batchSizeAt(buf, at);
    if (size < BATCH_HEADER_SIZE) {
      throw new CorruptRecordError(
        `record batch at position ${at} declares length ${size - LOG_OVERHEAD}, below the ${
          BATCH_HEADER_SIZE - LOG_OVERHEAD
        }-byte minimum`,
      );
    }
    if (left < BATCH_HEADER_SIZE || left < size) return { batches, partialBytes: left };
    const header = readBatchHeader(buf, at);
    if (opts.verifyCrc && header.crc !== computeBatchCrc(buf, at)) {
      throw new CorruptRecordError(
        `record batch at position ${at} (base offset ${header.baseOffset}) fails its CRC-32C check: ` +
          `stored ${header.crc.toString(16)}, computed ${computeBatchCrc(buf, at).toString(16)}`,
      );
    }
    batches.push({ position: at, size, header });
    at += size;
  }
  return { batches, partialBytes: 0 };
}

/** Iterates the whole batches of a record set, each as a zero-copy slice. */
export function* iterateBatches(buf: Buffer): Generator<{ buf: Buffer; header: BatchHeader }> {
  for (const b of splitBatches(buf).batches) {
    yield { buf: buf.subarray(b.position, b.position + b.size), header: b.header };
  }
}

interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface DecodedRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Decodes every record of one batch (decompressing when needed). */
export async function decodeRecords(batch: Buffer, opts: DecompressOptions = {}): Promise<DecodedRecord[]> {
  const header = readBatchHeader(batch, 0);
  const size = LOG_OVERHEAD + header.batchLength;
  if (size > batch.length) {
    throw new CorruptRecordError(`record batch declares ${size} bytes but only ${batch.length} are present`);
  }
  const body = batch.subarray(BATCH_HEADER_SIZE, size);
  const records =
    header.attributes.compression === 0 ? body : await decompress(header.attributes.compression, body, opts);
  const out: DecodedRecord[] = [];
  const logAppend = header.attributes.timestampType === 'LogAppendTime';
  let at = 0;
  try {
    for (let i = 0; i < header.recordCount; i++) {
      const len = readVarint(records, at);
      const end = len.next + len.value;
      if (len.value < 0 || end > records.length) {
        throw new CorruptRecordError(`record ${i} declares ${len.value} bytes, past the end of the batch`);
      }
      let p = len.next + 1; // attributes (unused)
      const tsDelta = readVarlong(records, p);
      p = tsDelta.next;
      const offDelta = readVarint(records, p);
      p = offDelta.next;
      const key = readBytes(records, p);
      p = key.next;
      const value = readBytes(records, p);
      p = value.next;
      const count = readVarint(records, p);
      p = count.next;
      if (count.value < 0) throw new CorruptRecordError(`record ${i} has a negative header count`);
      const headers: RecordHeader[] = [];
      for (let h = 0; h < count.value; h++) {
        const hk = readBytes(records, p);
        p = hk.next;
        const hv = readBytes(records, p);
        p = hv.next;
        headers.push({ key: hk.value?.toString('utf8') ?? '', value: hv.value });
      }
      if (p !== end)
        throw new CorruptRecordError(`record ${i} length ${len.value} does not match its fields`);
      out.push({
        offset: header.baseOffset + BigInt(offDelta.value),
        timestamp: logAppend ? header.maxTimestamp : header.baseTimestamp + tsDelta.value,
        key: key.value,
        value: value.value,
        headers,
      });
      at = end;
    }
  } catch (err) {
    if (err instanceof RangeError) throw new CorruptRecordError(`record data is truncated: ${err.message}`);
    throw err;
  }
  return out;
}

function readBytes(buf: Buffer, at: number): { value: Buffer | null; next: number } {
  const len = readVarint(buf, at);
  if (len.value < 0) return { value: null, next: len.next };
  const end = len.next + len.value;
  if (end > buf.length) throw new RangeError(`field of ${len.value} bytes runs past the end`);
  return { value: buf.subarray(len.next, end), next: end };
}

interface RecordInput {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Array<{ key: string; value: Buffer | string | null }>;
  /** Milliseconds since the epoch; defaults to the batch's baseTimestamp option or 0. */
  timestamp?: bigint | number;
}

export interface BuildBatchOptions {
  baseOffset?: bigint | number;
  records: RecordInput[];
  compression?: number | string;
  producerId?: bigint | number;
  producerEpoch?: number;
  baseSequence?: number;
  timestampType?: TimestampType;
  transactional?: boolean;
  control?: boolean;
  partitionLeaderEpoch?: number;
  /** Timestamp for records that give none. */
  timestamp?: bigint | number;
}

function toBuf(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

/** Builds a magic-2 batch with a correct CRC-32C. */
export async function buildRecordBatch(opts: BuildBatchOptions): Promise<Buffer> {
  if (opts.records.length === 0) throw new InvalidRecordError('a record batch needs at least one record');
  const fallbackTs = BigInt(opts.timestamp ?? 0);
  const timestamps = opts.records.map((r) => (r.timestamp === undefined ? fallbackTs : BigInt(r.timestamp)));
  let baseTimestamp = timestamps[0];
  let maxTimestamp = timestamps[0];
  for (const t of timestamps) {
    if (t < baseTimestamp) baseTimestamp = t;
    if (t > maxTimestamp) maxTimestamp = t;
  }
  const encoded = opts.records.map((r, i) => encodeRecord(r, i, timestamps[i] - baseTimestamp));
  const plain = Buffer.concat(encoded);
  const codec = codecName(opts.compression ?? 0);
  const body = codec === 'none' ? plain : await compress(codec, plain);

  const buf = Buffer.alloc(BATCH_HEADER_SIZE + body.length);
  let attributes = ['none', 'gzip', 'snappy', 'lz4', 'zstd'].indexOf(codec);
  if (opts.timestampType === 'LogAppendTime') attributes |= ATTR_TIMESTAMP_TYPE;
  if (opts.transactional) attributes |= ATTR_TRANSACTIONAL;
  if (opts.control) attributes |= ATTR_CONTROL;
  buf.writeBigInt64BE(BigInt(opts.baseOffset ?? 0), OFF_BASE_OFFSET);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, OFF_LENGTH);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? -1, OFF_LEADER_EPOCH);
  buf.writeInt8(CURRENT_MAGIC, OFF_MAGIC);
  buf.writeInt16BE(attributes, OFF_ATTRIBUTES);
  buf.writeInt32BE(opts.records.length - 1, OFF_LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(baseTimestamp, OFF_BASE_TIMESTAMP);
  buf.writeBigInt64BE(maxTimestamp, OFF_MAX_TIMESTAMP);
  buf.writeBigInt64BE(BigInt(opts.producerId ?? -1), OFF_PRODUCER_ID);
  buf.writeInt16BE(opts.producerEpoch ?? -1, OFF_PRODUCER_EPOCH);
  buf.writeInt32BE(opts.baseSequence ?? -1, OFF_BASE_SEQUENCE);
  buf.writeInt32BE(opts.records.length, OFF_RECORD_COUNT);
  body.copy(buf, BATCH_HEADER_SIZE);
  rewriteBatchCrc(buf, 0);
  return buf;
}

function encodeRecord(r: RecordInput, offsetDelta: number, timestampDelta: bigint): Buffer {
  const key = toBuf(r.key);
  const value = toBuf(r.value);
  const headers = (r.headers ?? []).map((h) => ({ key: Buffer.from(h.key, 'utf8'), value: toBuf(h.value) }));
  let bodySize =
    1 +
    varlongSize(timestampDelta) +
    varintSize(offsetDelta) +
    bytesSize(key) +
    bytesSize(value) +
    varintSize(headers.length);
  for (const h of headers) bodySize += bytesSize(h.key) + bytesSize(h.value);
  const buf = Buffer.alloc(varintSize(bodySize) + bodySize);
  let p = writeVarint(buf, 0, bodySize);
  buf[p++] = 0; // record attributes: unused
  p = writeVarlong(buf, p, timestampDelta);
  p = writeVarint(buf, p, offsetDelta);
  p = writeBytes(buf, p, key);
  p = writeBytes(buf, p, value);
  p = writeVarint(buf, p, headers.length);
  for (const h of headers) {
    p = writeBytes(buf, p, h.key);
    p = writeBytes(buf, p, h.value);
  }
  return buf;
}

function bytesSize(b: Buffer | null): number {
  return b === null ? varintSize(-1) : varintSize(b.length) + b.length;
}

function writeBytes(buf: Buffer, at: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, at, -1);
  const p = writeVarint(buf, at, b.length);
  b.copy(buf, p);
  return p + b.length;
}
