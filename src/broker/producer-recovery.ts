import { decodeRecords } from '../protocol/record-batch.js';
import type { ProducerStates } from './producer-state.js';
import type { TopicStore } from './topic-store.js';
import { controlRecordCommits } from './txn/transaction-log-format.js';

const READ_BYTES = 1024 * 1024;
const ATTR_TRANSACTIONAL = 0x10;
const ATTR_CONTROL = 0x20;

export interface ProducerRecovery {
  /** Idempotent or transactional batches re-learned. */
  batches: number;
  /** Transaction markers replayed. */
  markers: number;
  /** `.txnindex` files rewritten because they did not match the log (after a crash), as topic/partition@base. */
  txnIndexesRebuilt: string[];
}

/**
 * Producer state lives in memory, but every idempotent batch carries its producer id, epoch and
 * sequence in its header, every transactional batch its flag, and every transaction ends with a
 * marker. After a restart (a crash above all) each partition is read back from its log start, batch
 * headers only, so that: retries of a producer's last batches are recognised as duplicates; the
 * transactions still open at the crash hold the last stable offset back again (the coordinator then
 * finishes them); and the aborted transactions are known again to read_committed fetches. This is
 * Kafka's rebuild of producer state from the log, without its snapshots: start-up reads every
 * partition's bytes once. The aborted transactions found are checked against the segments'
 * `.txnindex` files, and files a crash left short, torn or missing are rewritten.
 */
export async function restoreProducerStates(
  store: TopicStore,
  producers: ProducerStates,
): Promise<ProducerRecovery> {
  const summary: ProducerRecovery = { batches: 0, markers: 0, txnIndexesRebuilt: [] };
  for (const topic of store.topicNames()) {
    const partitions = store.partitionCount(topic) ?? 0;
    for (let partition = 0; partition < partitions; partition++) {
      await restorePartition(store, topic, partition, producers, summary);
      // The walk found every aborted transaction: the segments' .txnindex files must say the same.
      const rebuilt = await store
        .partition(topic, partition)
        ?.rebuildTxnIndexes(producers.allAborted(topic, partition));
      for (const base of rebuilt ?? []) summary.txnIndexesRebuilt.push(`${topic}/${partition}@${base}`);
    }
  }
  return summary;
}

async function restorePartition(
  store: TopicStore,
  topic: string,
  partition: number,
  producers: ProducerStates,
  summary: ProducerRecovery,
): Promise<void> {
  const log = store.partition(topic, partition);
  if (!log) return;
  const end = log.highWatermark;
  let at = log.logStartOffset;
  while (at < end) {
    const { records } = log.read(at, READ_BYTES);
    const before = at;
    for (let pos = 0; pos + 61 <= records.length; ) {
      const size = 12 + records.readInt32BE(pos + 8);
      if (pos + size > records.length) break;
      const baseOffset = records.readBigInt64BE(pos);
      const producerId = records.readBigInt64BE(pos + 43);
      const attributes = records.readInt16BE(pos + 21);
      const producerEpoch = records.readInt16BE(pos + 51);
      if (producerId >= 0n && (attributes & ATTR_CONTROL) !== 0) {
        const [marker] = await decodeRecords(records.subarray(pos, pos + size));
        const commit = controlRecordCommits(marker?.key ?? null);
        if (commit !== undefined) {
          producers.endTransaction(topic, partition, producerId, producerEpoch, baseOffset, commit);
          summary.markers++;
        }
      } else if (producerId >= 0n) {
        const batch = {
          producerId,
          producerEpoch,
          baseSequence: records.readInt32BE(pos + 53),
          recordCount: records.readInt32BE(pos + 57),
        };
        producers.restore(topic, partition, batch, baseOffset);
        if ((attributes & ATTR_TRANSACTIONAL) !== 0)
          producers.noteTransactionalBatch(topic, partition, producerId, baseOffset);
        summary.batches++;
      }
      at = baseOffset + BigInt(records.readInt32BE(pos + 23)) + 1n;
      pos += size;
    }
    if (at === before) break; // nothing whole came back: stop rather than spin
  }
}
