import { checkNumber } from '../flow/validate.js';

/**
 * Choosing a partition for a record.
 *
 * Keyed records go where the Java client's DefaultPartitioner (and kafkajs's default partitioner)
 * put them: `toPositive(murmur2(keyBytes)) % partitionCount`, counting every partition of the topic,
 * available or not, so the same key always lands on the same partition whichever client wrote it.
 *
 * Unkeyed records are spread with a sticky round-robin: the partitioner stays on one available
 * partition until `stickyBytes` of unkeyed data went there, then moves to the next. Sticking fills
 * batches (fewer, larger requests) while the rotation keeps partitions evenly loaded over time.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (Utils.murmur2 in the Java client), as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // The tail bytes, as murmur2's fall-through switch mixes them.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) {
    h ^= data[tail];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's Utils.toPositive: clears the sign bit (not Math.abs, which differs for negatives). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition the Java client and kafkajs choose for a keyed record. */
export function partitionForKey(key: Uint8Array | string, partitionCount: number): number {
  checkNumber('partitionCount', partitionCount, { integer: true, min: 1 });
  const bytes = typeof key === 'string' ? Buffer.from(key) : key;
  return toPositive(murmur2(bytes)) % partitionCount;
}

export interface PartitionInfo {
  partition: number;
  /** Leader broker id; -1 when the partition has no leader right now. */
  leader: number;
}

export interface PartitionerInput {
  topic: string;
  key: Uint8Array | string | null | undefined;
  /** Size of the record in bytes as the accumulator counts it (feeds the sticky rotation). */
  sizeBytes: number;
  partitions: readonly PartitionInfo[];
}

export type Partitioner = (input: PartitionerInput) => number;

export interface DefaultPartitionerOptions {
  /** Unkeyed bytes sent to one partition before moving to the next (default 16 KiB, one batch). */
  stickyBytes?: number;
  /** Where the rotation starts for a topic; defaults to 0 so runs are reproducible. */
  start?: (topic: string) => number;
}

export function createDefaultPartitioner(options: DefaultPartitionerOptions = {}): Partitioner {
  const stickyBytes = options.stickyBytes ?? 16 * 1024;
  const state = new Map<string, { index: number; bytes: number }>();
  return ({ topic, key, sizeBytes, partitions }) => {
    if (partitions.length === 0) {
      throw new Error(`topic "${topic}" has no partitions in the metadata; refresh metadata or create it`);
    }
    if (key !== null && key !== undefined) return partitionForKey(key, partitions.length);
    let s = state.get(topic);
    if (!s) {
      s = { index: options.start?.(topic) ?? 0, bytes: 0 };
      state.set(topic, s);
    }
    if (s.bytes >= stickyBytes) {
      s.index++;
      s.bytes = 0;
    }
    s.bytes += sizeBytes;
    const available = partitions.filter((p) => p.leader >= 0);
    const pool = available.length > 0 ? available : partitions;
    return pool[toPositive(s.index) % pool.length].partition;
  };
}
