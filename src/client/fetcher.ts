import { ApiKey } from '../protocol/api-keys.js';
import type { FetchResponse } from '../protocol/apis/01-fetch.js';
import { LOG_OVERHEAD, splitBatches } from '../protocol/record-batch.js';
import { readBatchInto } from './batch-reader.js';
import type { Cluster } from './cluster.js';
import {
  brokerError,
  ConfigError,
  type KafkaBrokerError,
  KafkaClientError,
  needsMetadataRefresh,
} from './errors.js';

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
  /** 0 read_uncommitted (default: Sluice writes no transactions), 1 read_committed. */
  isolationLevel?: 0 | 1;
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
  /** Set when the broker refused this partition (e.g. OFFSET_OUT_OF_RANGE, NOT_LEADER_OR_FOLLOWER). */
  error?: KafkaBrokerError;
}

export interface FetchResult {
  partitions: FetchedPartition[];
  bytes: number;
}

export async function fetchRecords(cluster: Cluster, options: FetchOptions): Promise<FetchResult> {
  validate(options);
  const byLeader = new Map<number, FetchPartitionRequest[]>();
  for (const p of options.partitions) {
    const leader = (await cluster.leaderFor(p.topic, p.partition)).nodeId;
    const list = byLeader.get(leader);
    if (list) list.push(p);
    else byLeader.set(leader, [p]);
  }
  const wanted = options.partitions.reduce((s, p) => s + p.maxBytes, 0);
  const rounds = await Promise.all(
    [...byLeader.entries()].map(([leader, parts]) => {
      const share = parts.reduce((s, p) => s + p.maxBytes, 0);
      const maxBytes = Math.max(1, Math.floor((options.maxBytes * share) / Math.max(1, wanted)));
      return fetchFromBroker(cluster, leader, parts, { ...options, maxBytes });
    }),
  );
  const partitions = rounds.flat();
  return { partitions, bytes: partitions.reduce((s, p) => s + p.bytes, 0) };
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
        await decodeInto(fetched, p.records, req.offset);
      }
      out.push(fetched);
    }
  }
  return out;
}

async function decodeInto(target: FetchedPartition, records: Buffer, from: bigint): Promise<void> {
  const { batches } = splitBatches(records);
  for (const slice of batches) {
    const h = slice.header;
    const lastOffset = h.baseOffset + BigInt(h.lastOffsetDelta);
    if (lastOffset < from) continue;
    if (h.attributes.control) {
      // Transaction markers are not records; step over them.
      if (lastOffset + 1n > target.nextOffset) target.nextOffset = lastOffset + 1n;
      continue;
    }
    const batch = records.subarray(slice.position, slice.position + slice.size);
    await readBatchInto(target.records, batch, h, target.topic, target.partition, from);
    if (lastOffset + 1n > target.nextOffset) target.nextOffset = lastOffset + 1n;
  }
  if (batches.length === 0 && records.length >= LOG_OVERHEAD) {
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
