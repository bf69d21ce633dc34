import type { ProducerStates } from './producer-state.js';
import type { TopicStore } from './topic-store.js';

/** How far back from each partition's end start-up looks for idempotent producers' batches. */
const TAIL_OFFSETS = 5_000n;
const TAIL_MAX_BYTES = 8 * 1024 * 1024;
const READ_BYTES = 1024 * 1024;

/**
 * Producer state lives in memory, but every idempotent batch carries its producer id, epoch and
 * sequence in its header. After a restart (a crash above all: batches written but not acknowledged
 * are exactly the ones a producer retries) the tail of each partition is read back so those retries
 * are recognised as duplicates, as Kafka does when it rebuilds producer state from its log. Only the
 * tail is read (the last TAIL_OFFSETS offsets, at most TAIL_MAX_BYTES) to keep start-up fast: a retry
 * can only be for a producer's last few batches, and those are at the end of the log.
 * Returns the number of idempotent batches re-learned.
 */
export function restoreProducerStates(store: TopicStore, producers: ProducerStates): number {
  let restored = 0;
  for (const topic of store.topicNames()) {
    const partitions = store.partitionCount(topic) ?? 0;
    for (let partition = 0; partition < partitions; partition++) {
      const log = store.partition(topic, partition);
      if (!log) continue;
      const end = log.highWatermark;
      let at = end - TAIL_OFFSETS > log.logStartOffset ? end - TAIL_OFFSETS : log.logStartOffset;
      let budget = TAIL_MAX_BYTES;
      while (at < end && budget > 0) {
        const { records } = log.read(at, READ_BYTES);
        budget -= records.length;
        const before = at;
        for (let pos = 0; pos + 61 <= records.length; ) {
          const size = 12 + records.readInt32BE(pos + 8);
          if (pos + size > records.length) break;
          const baseOffset = records.readBigInt64BE(pos);
          const producerId = records.readBigInt64BE(pos + 43);
          if (producerId >= 0n) {
            producers.restore(
              topic,
              partition,
              {
                producerId,
                producerEpoch: records.readInt16BE(pos + 51),
                baseSequence: records.readInt32BE(pos + 53),
                recordCount: records.readInt32BE(pos + 57),
              },
              baseOffset,
            );
            restored++;
          }
          at = baseOffset + BigInt(records.readInt32BE(pos + 23)) + 1n;
          pos += size;
        }
        if (at === before) break; // nothing whole came back: stop rather than spin
      }
    }
  }
  return restored;
}
