/**
 * A cheap look at a produced record set's batch headers (no record decoding): how many batches and
 * records it holds and how large its largest batch is, for quotas and max.message.bytes. CRCs and
 * everything else are checked by storage on append.
 */
export interface RecordSetShape {
  batches: number;
  records: number;
  largestBatch: number;
  /** The largest batch max timestamp (a producer writes it as the maximum of its records' timestamps). */
  maxTimestamp: bigint;
  /** The first batch's producer fields; producerId -1 for a non-idempotent producer. */
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** The first batch is part of a transaction (attributes bit 4). */
  transactional: boolean;
}

const BATCH_HEADER = 61;
const ATTR_TRANSACTIONAL = 0x10;

/** The shape of `records`, or a string saying why it is not a sequence of v2 record batches. */
export function scanRecordSet(records: Buffer): RecordSetShape | string {
  if (records.length === 0) return 'record set is empty';
  let pos = 0;
  const shape: RecordSetShape = {
    batches: 0,
    records: 0,
    largestBatch: 0,
    maxTimestamp: -1n,
    producerId: records.length >= BATCH_HEADER ? records.readBigInt64BE(43) : -1n,
    producerEpoch: records.length >= BATCH_HEADER ? records.readInt16BE(51) : -1,
    baseSequence: records.length >= BATCH_HEADER ? records.readInt32BE(53) : -1,
    transactional: records.length >= BATCH_HEADER && (records.readInt16BE(21) & ATTR_TRANSACTIONAL) !== 0,
  };
  while (pos < records.length) {
    if (records.length - pos < BATCH_HEADER) return `truncated batch header at byte ${pos}`;
    const size = 12 + records.readInt32BE(pos + 8);
    if (size < BATCH_HEADER || pos + size > records.length)
      return `batch at byte ${pos} claims ${size} bytes`;
    const magic = records.readInt8(pos + 16);
    if (magic !== 2)
      return `batch at byte ${pos} has magic ${magic}; only record batch v2 (magic 2) is supported`;
    const count = records.readInt32BE(pos + 57);
    if (count < 0) return `batch at byte ${pos} has a negative record count`;
    shape.batches++;
    shape.records += count;
    shape.largestBatch = Math.max(shape.largestBatch, size);
    const maxTimestamp = records.readBigInt64BE(pos + 35);
    if (maxTimestamp > shape.maxTimestamp) shape.maxTimestamp = maxTimestamp;
    pos += size;
  }
  return shape;
}
