import type { ProducerStates } from '../producer-state.js';

export interface IsolatedRead {
  records: Buffer;
  lastStableOffset: bigint;
  /** Aborted transactions within the records (read_committed), null for read_uncommitted. */
  abortedTransactions: Array<{ producerId: bigint; firstOffset: bigint }> | null;
}

const READ_COMMITTED = 1;

/**
 * What a Fetch answers for one partition read under an isolation level. Every fetch reports the last
 * stable offset. read_committed also stops at it (whole batches: a batch of an open transaction starts
 * at or after it) and lists the aborted transactions that overlap the records returned, so the client
 * drops their batches (it skips a listed producer's batches from firstOffset until its abort marker).
 */
export function isolatedRead(
  producers: ProducerStates,
  topic: string,
  partition: number,
  fetchOffset: bigint,
  read: { records: Buffer; highWatermark: bigint },
  isolationLevel: number | undefined,
): IsolatedRead {
  const lastStableOffset = producers.lastStableOffset(topic, partition, read.highWatermark);
  if (isolationLevel !== READ_COMMITTED) {
    return { records: read.records, lastStableOffset, abortedTransactions: null };
  }
  const records = batchesBelow(read.records, lastStableOffset);
  const end = nextOffsetAfter(records) ?? fetchOffset;
  const abortedTransactions = producers
    .abortedTransactions(topic, partition, fetchOffset, end)
    .map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
  return { records, lastStableOffset, abortedTransactions };
}

/** The leading whole batches of `records` that start below `limit`. */
function batchesBelow(records: Buffer, limit: bigint): Buffer {
  let pos = 0;
  while (pos + 61 <= records.length) {
    if (records.readBigInt64BE(pos) >= limit) break;
    pos += 12 + records.readInt32BE(pos + 8);
  }
  return pos >= records.length ? records : records.subarray(0, pos);
}

/** The offset after the last batch of `records`, or undefined when there is none. */
function nextOffsetAfter(records: Buffer): bigint | undefined {
  let next: bigint | undefined;
  for (let pos = 0; pos + 61 <= records.length; pos += 12 + records.readInt32BE(pos + 8)) {
    next = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + 23)) + 1n;
  }
  return next;
}
