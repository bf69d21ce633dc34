/**
 * The record formats of transactions, byte for byte as Kafka writes them: the keys and values of the
 * compacted `__transaction_state` topic (apache/kafka transaction-coordinator `TransactionLogKey`,
 * `TransactionLogValue` v0, non-flexible) and the control records (commit and abort markers) that end a
 * transaction in every partition it wrote to (`ControlRecordType`, `EndTransactionMarker`).
 */
import { BlobReader, BlobWriter } from '../../protocol/blob.js';
import { buildRecordBatch } from '../../protocol/record-batch.js';

/** Kafka's TransactionState ids, as stored in TransactionLogValue.TransactionStatus. */
export const TxnStatus = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnStatusValue = (typeof TxnStatus)[keyof typeof TxnStatus];

/** The names DescribeTransactions and ListTransactions use (Kafka's TransactionState.stateName). */
export const TXN_STATE_NAMES: Record<TxnStatusValue, string> = {
  0: 'Empty',
  1: 'Ongoing',
  2: 'PrepareCommit',
  3: 'PrepareAbort',
  4: 'CompleteCommit',
  5: 'CompleteAbort',
  6: 'Dead',
  7: 'PrepareEpochFence',
};

export interface TransactionLogValue {
  producerId: bigint;
  producerEpoch: number;
  transactionTimeoutMs: number;
  status: TxnStatusValue;
  /** Partitions of the transaction, by topic. */
  partitions: Array<{ topic: string; partitionIds: number[] }>;
  lastUpdateTimestampMs: number;
  startTimestampMs: number;
}

export class TransactionLogFormatError extends Error {
  override name = 'TransactionLogFormatError';
}

const KEY_VERSION = 0;
const VALUE_VERSION = 0;

export function encodeTransactionLogKey(transactionalId: string): Buffer {
  return writer().int16(KEY_VERSION).string(transactionalId).done();
}

export function decodeTransactionLogKey(buf: Buffer): string {
  const r = reader(buf, '__transaction_state key');
  const version = r.int16();
  if (version !== KEY_VERSION)
    throw new TransactionLogFormatError(`__transaction_state key has version ${version}; only 0 exists`);
  return r.string();
}

export function encodeTransactionLogValue(v: TransactionLogValue): Buffer {
  const w = writer()
    .int16(VALUE_VERSION)
    .int64(v.producerId)
    .int16(v.producerEpoch)
    .int32(v.transactionTimeoutMs)
    .int8(v.status);
  w.array(v.partitions, (p) => {
    w.string(p.topic).array(p.partitionIds, (id) => w.int32(id));
  });
  return w.int64(v.lastUpdateTimestampMs).int64(v.startTimestampMs).done();
}

/** Reads value v0; v1 (flexible, written by Kafka 4 with transaction version 2) is refused by name. */
export function decodeTransactionLogValue(buf: Buffer): TransactionLogValue {
  const r = reader(buf, '__transaction_state value');
  const version = r.int16();
  if (version !== VALUE_VERSION)
    throw new TransactionLogFormatError(`__transaction_state value has version ${version}; Sluice reads 0`);
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const transactionTimeoutMs = r.int32();
  const status = r.int8() as TxnStatusValue;
  const partitions = r.array(() => ({ topic: r.string(), partitionIds: r.array(() => r.int32(), 4) }), 6);
  return {
    producerId,
    producerEpoch,
    transactionTimeoutMs,
    status,
    partitions,
    lastUpdateTimestampMs: Number(r.int64()),
    startTimestampMs: Number(r.int64()),
  };
}

/** ControlRecordType: the key of a control record is int16 version (0) then int16 type. */
const CONTROL_ABORT = 0;
const CONTROL_COMMIT = 1;

/**
 * The commit or abort marker for one producer's transaction in one partition: a control batch
 * (transactional + control attributes) holding one record whose key names the outcome and whose value
 * is EndTransactionMarker v0 (int16 version, int32 coordinator epoch).
 */
export function buildTransactionMarker(opts: {
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
  timestamp: number;
}): Promise<Buffer> {
  const key = writer()
    .int16(0)
    .int16(opts.commit ? CONTROL_COMMIT : CONTROL_ABORT)
    .done();
  const value = writer().int16(0).int32(opts.coordinatorEpoch).done();
  return buildRecordBatch({
    records: [{ key, value, timestamp: opts.timestamp }],
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
    timestamp: opts.timestamp,
  });
}

/** Whether a control record's key says commit (true) or abort (false); undefined for other control types. */
export function controlRecordCommits(key: Buffer | null): boolean | undefined {
  if (!key || key.length < 4) return undefined;
  const type = key.readInt16BE(2);
  return type === CONTROL_COMMIT ? true : type === CONTROL_ABORT ? false : undefined;
}

function writer(): BlobWriter {
  return new BlobWriter((bytes) => new TransactionLogFormatError(`string of ${bytes} bytes exceeds 32767`));
}

function reader(buf: Buffer, what: string): BlobReader {
  return new BlobReader(
    buf,
    (needed, offset, length) =>
      new TransactionLogFormatError(
        `${what} is truncated: needs ${needed} more bytes at offset ${offset} of ${length}`,
      ),
  );
}
