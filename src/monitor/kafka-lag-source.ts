import type { Admin, CommittedOffset, OffsetRange } from '../client/admin.js';
import type { Cluster } from '../client/cluster.js';
import { brokerError, KafkaBrokerError } from '../client/errors.js';
import { fetchRecords } from '../client/fetcher.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { SkipFields } from '../protocol/codec/read.js';
import { decodeAssignment } from '../protocol/consumer-protocol.js';
import type {
  ClusterObservation,
  GroupObservation,
  MemberObservation,
  Observation,
  PartitionObservation,
} from './observation.js';

/**
 * Reads lag figures from any Kafka-protocol cluster over the admin protocol, batched by broker: one
 * ListGroups and one DescribeGroups per broker, one OffsetFetch per group (the client speaks versions
 * before multi-group OffsetFetch), two ListOffsets (earliest, latest) per partition leader covering
 * every partition it leads, and one Fetch per leader for the timestamps of the oldest unconsumed
 * records. Those timestamps never change for a given offset, so they are cached and refetched only
 * when a group commits past them.
 */

export interface KafkaSourceOptions {
  /** Decides which groups to read. */
  watch: (groupId: string) => boolean;
  /** Read the record at each committed offset (exact time lag). */
  fetchTimestamps: boolean;
  maxTimestampFetches: number;
  /** OffsetFetch requests in flight at once (default 16). */
  offsetFetchConcurrency?: number;
}

interface TimestampLookup {
  topic: string;
  partition: number;
  offset: number;
  targets: PartitionObservation[];
}

/**
 * What a cycle never reads of the Metadata answer for all topics (it wants the brokers and which
 * partitions have no leader): three replica lists per partition, 30,000 arrays at 10,000 partitions.
 */
const METADATA_UNREAD: SkipFields = new Set(['replicaNodes', 'isrNodes', 'offlineReplicas', 'topicId']);

/** The timestamp of the record at one offset of a partition, and the next offset's of the same partition. */
interface CachedTimestamp {
  offset: number;
  timestamp: number;
  usedInCycle: number;
  next: CachedTimestamp | null;
}

/** Bytes asked per timestamp lookup: enough for a typical producer batch, so one round usually does. */
const TIMESTAMP_LOOKUP_BYTES = 16_384;

type Tp = string; // "topic\0partition"
const tpKey = (topic: string, partition: number): Tp => `${topic}\u0000${partition}`;

export class KafkaLagSource {
  private readonly cluster: Cluster;
  /**
   * Record timestamps by topic, then partition (a short chain: one entry per offset a group sits at),
   * for the committed offsets of the last cycle only: a record's timestamp never changes, and entries no
   * group sits at any more are dropped. Kept in place across cycles, so a warm cycle allocates nothing here.
   */
  private readonly timestamps = new Map<string, Map<number, CachedTimestamp>>();
  private cycle = 0;

  constructor(
    private readonly admin: Admin,
    private readonly options: KafkaSourceOptions,
  ) {
    this.cluster = admin.cluster;
  }

  async observe(): Promise<Observation> {
    const clock = this.cluster.clock;
    const started = clock.now();
    const errors: string[] = [];
    const cluster = await this.observeCluster(errors);
    const groupIds = (await this.listGroups(cluster, errors))
      .filter((g) => g.protocolType === 'consumer' || g.protocolType === '')
      .map((g) => g.groupId)
      .filter((g) => this.options.watch(g));
    const described = await this.describeGroups(groupIds, errors);
    const committed = await this.fetchCommitted(groupIds, errors);

    const wanted = new Map<string, Set<number>>();
    for (const g of groupIds) {
      const offsets = committed.get(g) ?? [];
      for (let i = 0; i < offsets.length; i++) addTp(wanted, offsets[i].topic, offsets[i].partition);
      for (const m of described.get(g)?.members ?? [])
        for (const a of m.assignment) for (const p of a.partitions) addTp(wanted, a.topic, p);
    }
    const ends = await this.listOffsets(wanted, errors);

    const groups: GroupObservation[] = [];
    for (const g of groupIds) {
      const d = described.get(g);
      // Committed offset by topic, then partition (-1: assigned, nothing committed), in arrays indexed by
      // partition: "topic\0partition" key strings, then a map per topic, were much of a cycle's garbage.
      const commits = new Map<string, number[]>();
      const partitionsOf = (topic: string) => {
        let m = commits.get(topic);
        if (!m) commits.set(topic, (m = []));
        return m;
      };
      // Indexed loops in this async function: for-of there allocates an iterator result per element.
      const offsets = committed.get(g) ?? [];
      for (let i = 0; i < offsets.length; i++) {
        const c = offsets[i];
        partitionsOf(c.topic)[c.partition] = Number(c.offset);
      }
      for (const m of d?.members ?? [])
        for (const a of m.assignment) {
          const byPartition = partitionsOf(a.topic);
          for (const p of a.partitions) byPartition[p] ??= -1;
        }
      const partitions: PartitionObservation[] = [];
      // Offsets not read this cycle (reported in errors) make the group's lag unknown there, never 0.
      const committedRead = committed.has(g);
      let unreadPartitions = 0;
      commits.forEach((byPartition, topic) => {
        const topicEnds = ends.get(topic);
        // forEach skips the partitions the group neither committed nor owns (holes).
        byPartition.forEach((c, partition) => {
          const off = topicEnds?.[partition];
          if (!off || !committedRead) unreadPartitions++;
          if (!off) return; // topic deleted or its leader unknown: reported in errors
          partitions.push({
            topic,
            partition,
            logStart: Number(off.start),
            logEnd: Number(off.end),
            committed: c < 0 ? null : c,
          });
        });
      });
      partitions.sort((a, b) =>
        a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
      );
      groups.push({
        groupId: g,
        state: d?.state ?? 'Unknown',
        members: d?.members ?? [],
        partitions,
        unreadPartitions,
      });
    }
    if (this.options.fetchTimestamps) await this.readTimestamps(groups, errors);
    return { at: clock.now(), groups, durationMs: clock.now() - started, errors, cluster };
  }

  /**
   * One Metadata request for every topic: the brokers listed now and the partitions without a leader.
   * Throws only when no broker answers at all (the cycle fails and the monitor says so); a cluster with
   * one broker down is exactly when this report matters.
   */
  private async observeCluster(errors: string[]): Promise<ClusterObservation | undefined> {
    await this.cluster.refreshMetadata([]);
    try {
      const meta = await this.cluster.describeAll(METADATA_UNREAD);
      const leaderless: ClusterObservation['leaderless'] = [];
      for (const t of meta.topics) {
        if (t.name === null) continue;
        const partitions = t.partitions; // indexed: for-of in an async function allocates per element
        for (let i = 0; i < partitions.length; i++)
          if (partitions[i].leaderId < 0)
            leaderless.push({ topic: t.name, partition: partitions[i].partitionIndex });
      }
      leaderless.sort((a, b) =>
        a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
      );
      return {
        brokers: meta.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
        unreachable: [],
        leaderless,
      };
    } catch (err) {
      errors.push(`metadata of all topics: ${(err as Error).message}`);
      return undefined;
    }
  }

  /**
   * ListGroups on every listed broker. Unlike Admin.listGroups, a broker that does not answer is noted
   * (in errors and as unreachable) and the others still count: its groups come back once their
   * coordinator has moved to a live broker.
   */
  private async listGroups(
    cluster: ClusterObservation | undefined,
    errors: string[],
  ): Promise<{ groupId: string; protocolType: string }[]> {
    const brokers = cluster?.brokers ?? this.cluster.knownBrokers();
    const out = new Map<string, { groupId: string; protocolType: string }>();
    await Promise.all(
      brokers.map(async (b) => {
        try {
          const res = await this.cluster.broker(b.nodeId).request(ApiKey.ListGroups, {});
          if (res.errorCode !== 0) throw brokerError(res.errorCode, `ListGroups on broker ${b.nodeId}`);
          for (const g of res.groups)
            out.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType });
        } catch (err) {
          // An error code is an answer; only a failed request means the broker is out of reach.
          if (!(err instanceof KafkaBrokerError)) cluster?.unreachable.push(b.nodeId);
          errors.push(`ListGroups on broker ${b.nodeId}: ${(err as Error).message}`);
        }
      }),
    );
    cluster?.unreachable.sort((a, b) => a - b);
    return [...out.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  }

  private async describeGroups(
    groupIds: string[],
    errors: string[],
  ): Promise<Map<string, { state: string; members: MemberObservation[] }>> {
    const described = await this.admin.describeGroups(groupIds);
    errors.push(...described.failures);
    const out = new Map<string, { state: string; members: MemberObservation[] }>();
    for (const [groupId, g] of described.results) {
      out.set(groupId, {
        state: g.state,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          host: m.clientHost,
          assignment: assignmentOf(m.assignment, g.protocolType),
        })),
      });
    }
    return out;
  }

  private async fetchCommitted(
    groupIds: string[],
    errors: string[],
  ): Promise<Map<string, CommittedOffset[]>> {
    const out = new Map<string, CommittedOffset[]>();
    let next = 0;
    const worker = async () => {
      while (next < groupIds.length) {
        const g = groupIds[next++];
        try {
          out.set(g, await this.admin.fetchOffsets(g));
        } catch (err) {
          errors.push(`OffsetFetch "${g}": ${(err as Error).message}`);
        }
      }
    };
    const n = Math.min(groupIds.length, this.options.offsetFetchConcurrency ?? 16);
    await Promise.all(Array.from({ length: n }, worker));
    return out;
  }

  private async listOffsets(
    wanted: Map<string, Set<number>>,
    errors: string[],
  ): Promise<Map<string, OffsetRange[]>> {
    const listed = await this.admin.listOffsetRanges(wanted);
    errors.push(...listed.failures);
    // By topic, then in an array indexed by partition (partitions are small dense numbers).
    const out = new Map<string, OffsetRange[]>();
    for (const r of listed.results) {
      let byPartition = out.get(r.topic);
      if (!byPartition) out.set(r.topic, (byPartition = []));
      byPartition[r.partition] = r;
    }
    return out;
  }

  /**
   * Timestamp of the oldest unconsumed record per lagging partition: the record at the committed offset
   * (or at the log start when retention already removed it). One small fetch per partition, batched per
   * leader, skipped when the committed offset has not moved since the last lookup.
   */
  private async readTimestamps(groups: GroupObservation[], errors: string[]): Promise<void> {
    const need = new Map<string, TimestampLookup>();
    let budget = this.options.maxTimestampFetches;
    const cycle = ++this.cycle;
    for (const g of groups) {
      for (let i = 0; i < g.partitions.length; i++) {
        const p = g.partitions[i];
        if (p.committed === null || p.committed >= p.logEnd) continue;
        const offset = Math.max(p.committed, p.logStart);
        const cached = this.cachedTimestamp(p.topic, p.partition, offset);
        if (cached) {
          p.committedRecordTimestamp = cached.timestamp;
          cached.usedInCycle = cycle;
          continue;
        }
        const key = `${tpKey(p.topic, p.partition)}\u0000${offset}`;
        const pending = need.get(key);
        if (pending) pending.targets.push(p);
        else if (budget > 0) {
          budget--;
          need.set(key, { topic: p.topic, partition: p.partition, offset, targets: [p] });
        }
      }
    }
    this.forgetTimestampsUnusedSince(cycle);
    if (need.size === 0) return;
    // A Fetch names each partition once: groups at different offsets of one partition go in later rounds.
    const rounds: TimestampLookup[][] = [];
    const depth = new Map<Tp, number>();
    for (const n of need.values()) {
      const tp = tpKey(n.topic, n.partition);
      const d = depth.get(tp) ?? 0;
      depth.set(tp, d + 1);
      (rounds[d] ??= []).push(n);
    }
    const chunk = 1000;
    for (const list of rounds)
      for (let i = 0; i < list.length; i += chunk) {
        // Kafka returns a batch larger than the partition's max_bytes only for the first partition of
        // a Fetch that has data; the others come back empty (or cut short). Those are asked again
        // until a round finds nothing new, so each round settles at least one partition per leader.
        let pending = list.slice(i, i + chunk);
        while (pending.length > 0) {
          const missing = await this.lookupTimestamps(pending, errors);
          if (missing.length === pending.length) break;
          pending = missing;
        }
      }
  }

  private cachedTimestamp(topic: string, partition: number, offset: number): CachedTimestamp | null {
    let entry = this.timestamps.get(topic)?.get(partition) ?? null;
    while (entry !== null && entry.offset !== offset) entry = entry.next;
    return entry;
  }

  private rememberTimestamp(topic: string, partition: number, offset: number, timestamp: number): void {
    let byPartition = this.timestamps.get(topic);
    if (!byPartition) this.timestamps.set(topic, (byPartition = new Map()));
    const next = byPartition.get(partition) ?? null;
    byPartition.set(partition, { offset, timestamp, usedInCycle: this.cycle, next });
  }

  /** Drops the timestamps of offsets no group sat at in `cycle`. */
  private forgetTimestampsUnusedSince(cycle: number): void {
    this.timestamps.forEach((byPartition, topic) => {
      byPartition.forEach((head, partition) => {
        let first: CachedTimestamp | null = head;
        while (first !== null && first.usedInCycle !== cycle) first = first.next;
        for (let e = first; e !== null; e = e.next) {
          while (e.next !== null && e.next.usedInCycle !== cycle) e.next = e.next.next;
        }
        if (first === null) byPartition.delete(partition);
        else if (first !== head) byPartition.set(partition, first);
      });
      if (byPartition.size === 0) this.timestamps.delete(topic);
    });
  }

  /** One Fetch per leader for `part`; returns the lookups that came back without a record or error. */
  private async lookupTimestamps(part: TimestampLookup[], errors: string[]): Promise<TimestampLookup[]> {
    const missing: TimestampLookup[] = [];
    try {
      const res = await fetchRecords(this.cluster, {
        partitions: part.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          offset: BigInt(p.offset),
          maxBytes: TIMESTAMP_LOOKUP_BYTES,
        })),
        maxBytes: part.length * TIMESTAMP_LOOKUP_BYTES,
        minBytes: 0,
        maxWaitMs: 0,
      });
      const byTp = new Map(res.partitions.map((r) => [tpKey(r.topic, r.partition), r]));
      for (const p of part) {
        const r = byTp.get(tpKey(p.topic, p.partition));
        if (r?.error) {
          errors.push(`timestamp of ${p.topic}/${p.partition}@${p.offset}: ${r.error.message}`);
          continue;
        }
        const first = r?.records.find((x) => x.offset >= BigInt(p.offset));
        if (!first) {
          missing.push(p);
          continue;
        }
        this.rememberTimestamp(p.topic, p.partition, p.offset, first.timestamp);
        for (const t of p.targets) t.committedRecordTimestamp = first.timestamp;
      }
    } catch (err) {
      if (err instanceof KafkaBrokerError || err instanceof Error)
        errors.push(`timestamp fetch: ${err.message}`);
    }
    return missing;
  }
}

function addTp(map: Map<string, Set<number>>, topic: string, partition: number): void {
  let s = map.get(topic);
  if (!s) map.set(topic, (s = new Set()));
  s.add(partition);
}

function assignmentOf(bytes: Buffer, protocolType: string): MemberObservation['assignment'] {
  if (protocolType !== 'consumer' || !bytes || bytes.length === 0) return [];
  try {
    return decodeAssignment(bytes).assignedPartitions.map((a) => ({
      topic: a.topic,
      partitions: [...a.partitions],
    }));
  } catch {
    // A non-standard assignor's bytes: the member is alive but we cannot say what it owns.
    return [];
  }
}
