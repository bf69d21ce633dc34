import { ApiKey } from '../protocol/api-keys.js';
import type { FetchResponse } from '../protocol/apis/01-fetch.js';
import { crc32c } from '../protocol/crc32c.js';
import { BATCH_HEADER_SIZE, CorruptRecordError, LOG_OVERHEAD } from '../protocol/record-batch.js';
import { readBatchInto } from './batch-reader.js';
import type { Cluster } from './cluster.js';
import { brokerError, ConfigError, KafkaClientError, needsMetadataRefresh } from './errors.js';

/**
 * One fetch round with limits chosen by the caller: which partitions, from which offsets, and how many
 * bytes each may return and all together. This is the credit-driven pull the consumer runtime builds
 * on: it asks for exactly what its credits allow, so nothing beyond that lands in the heap.
 */

export interface FetchPartitionRequest {
  topic: string;
  partition: number;
  offset: bigint;
  /** Bytes this partition may return (at least one whole batch is returned even if larger). */
  maxBytes: number;
}

export interface FetchOptions {
  partitions: FetchPartitionRequest[];
  /** Bytes the whole round may return, split over the brokers involved. */
  maxBytes: number;
  /** Wait until at least this many bytes are available (default 1). */
  minBytes?: number;
  /** Longest the broker may wait for minBytes (default 500 ms). */
  maxWaitMs?: number;
  /**
   * 0 read_uncommitted (default), 1 read_committed: the broker answers up to the last stable offset and
   * names the aborted transactions in range, whose batches are dropped here.
   */
  isolationLevel?: 0 | 1;
  /** Verify each batch's CRC-32C before decoding it (default true, as the Java client does). */
  checkCrcs?: boolean;
  signal?: AbortSignal;
}

export interface FetchedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

export interface FetchedPartition {
  topic: string;
  partition: number;
  /** Records at or after the requested offset, in offset order. */
  records: FetchedRecord[];
  /** Where the next fetch of this partition should start. */
  nextOffset: bigint;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** Record-set bytes the broker returned for this partition. */
  bytes: number;
  /**
   * Record batches `records` came from. The broker answers in whole batches, so records per batch is the
   * smallest step a fetch can take (the consumer runtime sizes its fetches by it).
   */
  batches?: number;
  /**
   * Set when the broker refused this partition (a KafkaBrokerError: OFFSET_OUT_OF_RANGE,
   * NOT_LEADER_OR_FOLLOWER…) or its leader could not be reached (a retriable KafkaClientError).
   */
  error?: KafkaClientError;
}

export interface FetchResult {
  partitions: FetchedPartition[];
  bytes: number;
}

export async function fetchRecords(cluster: Cluster, options: FetchOptions): Promise<FetchResult> {
  validate(options);
  const byLeader = new Map<number, FetchPartitionRequest[]>();
  const unreachable: FetchedPartition[] = [];
  for (const p of options.partitions) {
    let leader: number;
    try {
      leader = (await cluster.leaderFor(p.topic, p.partition)).nodeId;
    } catch (err) {
      unreachable.push(...failedPartitions(cluster, [p], err));
      continue;
    }
    const list = byLeader.get(leader);
    if (list) list.push(p);
    else byLeader.set(leader, [p]);
  }
  const wanted = options.partitions.reduce((s, p) => s + p.maxBytes, 0);
  const rounds = await Promise.all(
    [...byLeader.entries()].map(([leader, parts]) => {
      const share = parts.reduce((s, p) => s + p.maxBytes, 0);
      const maxBytes = Math.max(1, Math.floor((options.maxBytes * share) / Math.max(1, wanted)));
      return fetchFromBroker(cluster, leader, parts, { ...options, maxBytes }).catch((err: unknown) =>
        failedPartitions(cluster, parts, err),
      );
    }),
  );
  const partitions = [...rounds.flat(), ...unreachable];
  return { partitions, bytes: partitions.reduce((s, p) => s + p.bytes, 0) };
}

/**
 * A leader that cannot be reached (killed, fenced, not yet elected) fails only its own partitions, as
 * retriable per-partition errors, and its topics' metadata is marked stale so the next round asks who
 * leads now. The other brokers' answers still count: one dead broker must not stop a consumer's fetches
 * from the live ones, nor keep it on a leader that has moved. Anything else (corrupt data, a closed
 * client, an abort) still fails the whole round.
 */
function failedPartitions(
  cluster: Cluster,
  parts: FetchPartitionRequest[],
  err: unknown,
): FetchedPartition[] {
  if (!(err instanceof KafkaClientError && err.retriable)) throw err;
  for (const topic of new Set(parts.map((p) => p.topic))) cluster.invalidate(topic);
  return parts.map((p) => ({
    topic: p.topic,
    partition: p.partition,
    records: [],
    nextOffset: p.offset,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    bytes: 0,
    error: err,
  }));
}

async function fetchFromBroker(
  cluster: Cluster,
  leader: number,
  parts: FetchPartitionRequest[],
  options: FetchOptions,
): Promise<FetchedPartition[]> {
  const conn = cluster.broker(leader);
  const topics = new Map<string, FetchPartitionRequest[]>();
  for (const p of parts) {
    const list = topics.get(p.topic);
    if (list) list.push(p);
    else topics.set(p.topic, [p]);
  }
  const maxWaitMs = options.maxWaitMs ?? 500;
  const res: FetchResponse = await conn.request(
    ApiKey.Fetch,
    {
      replicaId: -1,
      maxWaitMs,
      minBytes: options.minBytes ?? 1,
      maxBytes: options.maxBytes,
      isolationLevel: options.isolationLevel ?? 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...topics.entries()].map(([topic, ps]) => ({
        topic,
        partitions: ps.map((p) => ({
          partition: p.partition,
          currentLeaderEpoch: -1,
          fetchOffset: p.offset,
          logStartOffset: -1n,
          partitionMaxBytes: p.maxBytes,
        })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    },
    // The broker may legitimately hold the request for maxWaitMs.
    { timeoutMs: maxWaitMs + 30_000 },
  );
  if (res.errorCode) throw brokerError(res.errorCode, `Fetch from broker ${leader}`);
  const requested = new Map(parts.map((p) => [`${p.topic}\u0000${p.partition}`, p]));
  const out: FetchedPartition[] = [];
  for (const t of res.responses) {
    const topic = t.topic ?? '';
    for (const p of t.partitions) {
      const req = requested.get(`${topic}\u0000${p.partitionIndex}`);
      if (!req) continue;
      const fetched: FetchedPartition = {
        topic,
        partition: p.partitionIndex,
        records: [],
        nextOffset: req.offset,
        highWatermark: p.highWatermark,
        lastStableOffset: p.lastStableOffset ?? p.highWatermark,
        logStartOffset: p.logStartOffset ?? -1n,
        bytes: p.records?.length ?? 0,
      };
      if (p.errorCode !== 0) {
        fetched.error = brokerError(
          p.errorCode,
          `Fetch ${topic}/${p.partitionIndex} at offset ${req.offset}`,
        );
        if (needsMetadataRefresh(p.errorCode)) cluster.invalidate(topic);
      } else if (p.records && p.records.length > 0) {
        await decodeRecordSet(
          fetched,
          p.records,
          req.offset,
          options.checkCrcs ?? true,
          p.abortedTransactions ?? [],
        );
      }
      out.push(fetched);
    }
  }
  return out;
}

/**
 * Decodes the whole batches of a partition's record set into `target` (records from `from` on), moving
 * `target.nextOffset` past them; a trailing partial batch is left for the next fetch. `aborted` (a
 * read_committed answer's aborted transactions) drops each listed producer's transactional batches from
 * its first offset until its abort marker, as Kafka's consumers do.
 */
export async function decodeRecordSet(
  target: FetchedPartition,
  records: Buffer,
  from: bigint,
  checkCrcs = true,
  aborted: ReadonlyArray<{ producerId: bigint; firstOffset: bigint }> = [],
): Promise<void> {
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const abortedNow = new Set<bigint>();
  let pos = 0;
  let whole = 0;
  while (records.length - pos >= BATCH_HEADER_SIZE) {
    const size = records.readInt32BE(pos + 8) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE) {
      throw new CorruptRecordError(
        `record batch at position ${pos} of ${target.topic}/${target.partition} declares an impossible length`,
      );
    }
    // A fetch may end with a partial batch (the broker cut at max_bytes): it comes again next time.
    if (pos + size > records.length) break;
    whole++;
    if (checkCrcs && records.readUInt32BE(pos + 17) !== crc32c(records.subarray(pos + 21, pos + size))) {
      throw new CorruptRecordError(
        `record batch at offset ${records.readBigInt64BE(pos)} of ${target.topic}/${target.partition} fails its ` +
          'CRC-32C check: the data was damaged on the way or on disk; fetch it again or inspect the broker',
      );
    }
    const baseOffset = records.readBigInt64BE(pos);
    const lastOffset = baseOffset + BigInt(records.readInt32BE(pos + 23));
    const attributes = records.readInt16BE(pos + 21);
    const control = (attributes & 0x20) !== 0;
    const producerId = records.readBigInt64BE(pos + 43);
    while (pending.length > 0 && pending[0].firstOffset <= lastOffset) {
      abortedNow.add(pending.shift()!.producerId);
    }
    const dropped = (attributes & 0x10) !== 0 && abortedNow.has(producerId);
    // The marker ends the producer's aborted transaction: its later batches are read again.
    if (control && dropped) abortedNow.delete(producerId);
    if (lastOffset >= from && !control && !dropped) {
      target.batches = (target.batches ?? 0) + 1;
      await readBatchInto(
        target.records,
        records.subarray(pos, pos + size),
        target.topic,
        target.partition,
        from,
      );
    }
    // Transaction markers (control batches) are not records, but the position moves past them.
    if (lastOffset + 1n > target.nextOffset) target.nextOffset = lastOffset + 1n;
    pos += size;
  }
  if (whole === 0 && records.length >= LOG_OVERHEAD) {
    const size = records.readInt32BE(8) + LOG_OVERHEAD;
    if (size > records.length) {
      throw new KafkaClientError(
        `partition ${target.topic}/${target.partition} has a batch of ${size} bytes at offset ${from}, more than the ` +
          `${records.length} bytes the fetch allowed; raise maxBytes for this partition`,
      );
    }
  }
}

function validate(o: FetchOptions): void {
  if (!Array.isArray(o.partitions)) throw new ConfigError('fetch: partitions must be an array');
  if (!(o.maxBytes > 0)) throw new ConfigError(`fetch: maxBytes must be > 0, got ${o.maxBytes}`);
  for (const p of o.partitions) {
    if (!(p.maxBytes > 0)) {
      throw new ConfigError(`fetch: maxBytes of ${p.topic}/${p.partition} must be > 0, got ${p.maxBytes}`);
    }
    if (typeof p.offset !== 'bigint' || p.offset < 0n) {
      throw new ConfigError(
        `fetch: offset of ${p.topic}/${p.partition} must be a bigint >= 0, got ${p.offset}`,
      );
    }
  }
}
