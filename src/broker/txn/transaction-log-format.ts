/**
 * The record formats of transactions, byte for byte as Kafka writes them: the keys and values of the
 * compacted `__transaction_state` topic (apache/kafka transaction-coordinator `TransactionLogKey`,
 * `TransactionLogValue` v0, non-flexible) and the control records (commit and abort markers) that end a
 * transaction in every partition it wrote to (`ControlRecordType`, `EndTransactionMarker`).
 */
import { definePayload } from '../../protocol/payload.js';
import { buildRecordBatch } from '../../protocol/record-batch.js';
import { f } from '../../protocol/schema.js';

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

const format = { error: (message: string) => new TransactionLogFormatError(message) };

const TransactionLogKey = definePayload(
  { name: '__transaction_state key', versions: '0', fields: [f('transactionalId', 'string', '0')] },
  format,
);

/** Value v0; v1 (flexible, written by Kafka 4 with transaction version 2) is refused by name. */
const TransactionLogValueFormat = definePayload(
  {
    name: '__transaction_state value',
    versions: '0',
    fields: [
      f('producerId', 'int64', '0'),
      f('producerEpoch', 'int16', '0'),
      f('transactionTimeoutMs', 'int32', '0'),
      f('status', 'int8', '0'),
      f('partitions', '[]struct', '0', {
        nullable: '0',
        fields: [f('topic', 'string', '0'), f('partitionIds', '[]int32', '0')],
      }),
      f('lastUpdateTimestampMs', 'int64', '0'),
      f('startTimestampMs', 'int64', '0'),
    ],
  },
  format,
);

export function encodeTransactionLogKey(transactionalId: string): Buffer {
  return TransactionLogKey.encode(0, { transactionalId });
}

export function decodeTransactionLogKey(buf: Buffer): string {
  return TransactionLogKey.decode(buf).transactionalId;
}

export function encodeTransactionLogValue(v: TransactionLogValue): Buffer {
  return TransactionLogValueFormat.encode(0, {
    ...v,
    lastUpdateTimestampMs: BigInt(v.lastUpdateTimestampMs),
    startTimestampMs: BigInt(v.startTimestampMs),
  });
}

export function decodeTransactionLogValue(buf: Buffer): TransactionLogValue {
  const v = TransactionLogValueFormat.decode(buf);
  return {
    producerId: v.producerId,
    producerEpoch: v.producerEpoch,
    transactionTimeoutMs: v.transactionTimeoutMs,
    status: v.status as TxnStatusValue,
    partitions: v.partitions ?? [],
    lastUpdateTimestampMs: Number(v.lastUpdateTimestampMs),
    startTimestampMs: Number(v.startTimestampMs),
  };
}

/** ControlRecordType: the key of a control record is int16 version (0) then int16 type. */
const CONTROL_ABORT = 0;
const CONTROL_COMMIT = 1;
const ControlRecordKey = definePayload(
  { name: 'control record key', versions: '0', fields: [f('type', 'int16', '0')] },
  format,
);
const EndTransactionMarker = definePayload(
  { name: 'EndTransactionMarker', versions: '0', fields: [f('coordinatorEpoch', 'int32', '0')] },
  format,
);

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
  const key = ControlRecordKey.encode(0, { type: opts.commit ? CONTROL_COMMIT : CONTROL_ABORT });
  const value = EndTransactionMarker.encode(0, { coordinatorEpoch: opts.coordinatorEpoch });
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
