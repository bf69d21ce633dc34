import { describe, expect, it } from 'vitest';
import {
  buildTransactionMarker,
  controlRecordCommits,
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  TransactionLogFormatError,
  TxnStatus,
} from '../../../src/broker/txn/transaction-log-format.js';
import { decodeRecords } from '../../../src/protocol/record-batch.js';

function int(bytes: number, v: number | bigint): Buffer {
  const b = Buffer.alloc(bytes);
  if (bytes === 8) b.writeBigInt64BE(BigInt(v));
  else if (bytes === 4) b.writeInt32BE(Number(v));
  else if (bytes === 2) b.writeInt16BE(Number(v));
  else b.writeInt8(Number(v));
  return b;
}
const str = (s: string) => Buffer.concat([int(2, Buffer.byteLength(s)), Buffer.from(s)]);
const hex = (...parts: Buffer[]) => Buffer.concat(parts).toString('hex');

describe('__transaction_state record formats', () => {
  it("writes key v0 and value v0 in the layout of Kafka's TransactionLogKey/TransactionLogValue", () => {
    expect(encodeTransactionLogKey('tx-1').toString('hex')).toBe(hex(int(2, 0), str('tx-1')));
    const value = {
      producerId: 4000n,
      producerEpoch: 3,
      transactionTimeoutMs: 60_000,
      status: TxnStatus.Ongoing,
      partitions: [{ topic: 'orders', partitionIds: [0, 2] }],
      lastUpdateTimestampMs: 1_700_000_000_123,
      startTimestampMs: 1_700_000_000_000,
    };
    const bytes = encodeTransactionLogValue(value);
    expect(bytes.toString('hex')).toBe(
      hex(
        int(2, 0),
        int(8, 4000n),
        int(2, 3),
        int(4, 60_000),
        int(1, TxnStatus.Ongoing),
        int(4, 1),
        str('orders'),
        int(4, 2),
        int(4, 0),
        int(4, 2),
        int(8, 1_700_000_000_123),
        int(8, 1_700_000_000_000),
      ),
    );
    expect(decodeTransactionLogValue(bytes)).toEqual(value);
    expect(decodeTransactionLogKey(encodeTransactionLogKey('tx-1'))).toBe('tx-1');
  });

  it("refuses value v1 (Kafka 4's flexible layout) and truncated bytes by name", () => {
    expect(() => decodeTransactionLogValue(int(2, 1))).toThrow(
      /__transaction_state value has schema version 1/,
    );
    expect(() => decodeTransactionLogValue(Buffer.concat([int(2, 0), int(4, 1)]))).toThrow(
      TransactionLogFormatError,
    );
    expect(() => decodeTransactionLogKey(Buffer.from([0, 0, 0, 9, 97]))).toThrow(/truncated/);
  });

  it('builds commit and abort markers: control key (version, type) and EndTransactionMarker value', async () => {
    for (const commit of [true, false]) {
      const batch = await buildTransactionMarker({
        producerId: 7n,
        producerEpoch: 1,
        commit,
        coordinatorEpoch: 5,
        timestamp: 1000,
      });
      const [record] = await decodeRecords(batch);
      expect(record.key?.toString('hex')).toBe(hex(int(2, 0), int(2, commit ? 1 : 0)));
      expect(record.value?.toString('hex')).toBe(hex(int(2, 0), int(4, 5)));
      expect(controlRecordCommits(record.key)).toBe(commit);
    }
  });
});
