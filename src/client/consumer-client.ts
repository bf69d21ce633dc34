import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import { fetchCommitted } from './admin.js';
import { Cluster, type ClusterOptions } from './cluster.js';
import { brokerError, ConfigError, KafkaBrokerError } from './errors.js';
import { type FetchedPartition, fetchRecords } from './fetcher.js';
import { type GroupMember, type OffsetToCommit, offsetCommitTopics } from './group.js';

/**
 * Consumer primitives for the consumer runtime: a set of assigned partitions with a position each,
 * seek, pause/resume per partition, and a fetch whose byte limits the caller chooses every time. There
 * is no background prefetch and no internal record queue: what the caller did not ask for stays in the
 * broker. Positions start at the offset given to `assign`, else the group's committed offset, else
 * `autoOffsetReset`.
 */

export interface ConsumerClientOptions {
  cluster?: Cluster;
  brokers?: string[];
  clientId?: string;
  clusterOptions?: Omit<ClusterOptions, 'brokers'>;
  /** Needed to start from committed offsets and to commit without a GroupMember. */
  groupId?: string;
  /** Where to start when there is no committed offset or it is out of range (default earliest). */
  autoOffsetReset?: 'earliest' | 'latest';
  isolationLevel?: 0 | 1;
  /** Verify batch CRCs on fetch (default true). */
  checkCrcs?: boolean;
}

export interface PollOptions {
  /** Bytes this round may bring in, across all partitions. */
  maxBytes: number;
  /** Bytes per partition (default: maxBytes split evenly). */
  partitionMaxBytes?: number;
  minBytes?: number;
  maxWaitMs?: number;
}

interface Position {
  topic: string;
  partition: number;
  offset: bigint | null;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class ConsumerClient {
  readonly cluster: Cluster;
  private readonly ownsCluster: boolean;
  private readonly options: ConsumerClientOptions;
  private readonly positions = new Map<string, Position>();
  private readonly pausedSet = new Set<string>();
  /**
   * The poll in which each partition last returned data. Polls list the partitions served longest ago
   * first: a broker returns a batch larger than partition_max_bytes only for the first partition of a
   * Fetch that has data (KIP-74), so a fixed order would starve the others behind a busy first one.
   * Kafka's Java consumer moves a partition that returned data to the end of its list for the same reason.
   */
  private readonly lastServed = new Map<string, number>();
  private polls = 0;

  constructor(options: ConsumerClientOptions) {
    this.options = options;
    if (options.cluster) {
      this.cluster = options.cluster;
      this.ownsCluster = false;
    } else {
      if (!options.brokers)
        throw new ConfigError('consumer: give `brokers` (["host:port"]) or a shared `cluster`');
      this.cluster = new Cluster({
        ...options.clusterOptions,
        brokers: options.brokers,
        clientId: options.clientId,
      });
      this.ownsCluster = true;
    }
  }

  /** Adds partitions; an explicit offset wins over committed offsets and the reset policy. */
  assign(partitions: { topic: string; partition: number; offset?: bigint }[]): void {
    for (const p of partitions) {
      const k = key(p.topic, p.partition);
      const existing = this.positions.get(k);
      if (existing && p.offset === undefined) continue;
      this.positions.set(k, { topic: p.topic, partition: p.partition, offset: p.offset ?? null });
    }
  }

  unassign(partitions: { topic: string; partition: number }[]): void {
    for (const p of partitions) {
      this.positions.delete(key(p.topic, p.partition));
      this.pausedSet.delete(key(p.topic, p.partition));
      this.lastServed.delete(key(p.topic, p.partition));
    }
  }

  assignment(): { topic: string; partition: number }[] {
    return [...this.positions.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  seek(topic: string, partition: number, offset: bigint): void {
    const pos = this.positions.get(key(topic, partition));
    if (!pos) throw new ConfigError(`seek: ${topic}/${partition} is not assigned; assign it first`);
    if (offset < 0n) throw new ConfigError(`seek: offset must be >= 0, got ${offset}`);
    pos.offset = offset;
  }

  /** The next offset to fetch, or null while it is not resolved yet. */
  position(topic: string, partition: number): bigint | null {
    return this.positions.get(key(topic, partition))?.offset ?? null;
  }

  pause(partitions: { topic: string; partition: number }[]): void {
    for (const p of partitions) this.pausedSet.add(key(p.topic, p.partition));
  }

  resume(partitions: { topic: string; partition: number }[]): void {
    for (const p of partitions) this.pausedSet.delete(key(p.topic, p.partition));
  }

  paused(): { topic: string; partition: number }[] {
    return [...this.positions.values()]
      .filter((p) => this.pausedSet.has(key(p.topic, p.partition)))
      .map(({ topic, partition }) => ({ topic, partition }));
  }

  /**
   * Fetches from every assigned, unpaused partition at its position, within the byte limits given, and
   * moves the positions past what was returned. Partitions whose offset fell out of range are reset by
   * the policy and reported with their error.
   */
  async poll(options: PollOptions): Promise<FetchedPartition[]> {
    await this.resolvePositions();
    const active = this.fetchOrder();
    if (active.length === 0) return [];
    const per = options.partitionMaxBytes ?? Math.max(1, Math.floor(options.maxBytes / active.length));
    const result = await fetchRecords(this.cluster, {
      partitions: active.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        offset: p.offset!,
        maxBytes: per,
      })),
      maxBytes: options.maxBytes,
      minBytes: options.minBytes,
      maxWaitMs: options.maxWaitMs,
      isolationLevel: this.options.isolationLevel,
      checkCrcs: this.options.checkCrcs,
    });
    for (const fp of result.partitions) {
      const pos = this.positions.get(key(fp.topic, fp.partition));
      if (!pos) continue;
      if (fp.error instanceof KafkaBrokerError && fp.error.code === ErrorCode.OFFSET_OUT_OF_RANGE)
        pos.offset = null;
      else if (!fp.error) pos.offset = fp.nextOffset;
      if (fp.bytes > 0) this.lastServed.set(key(fp.topic, fp.partition), this.polls);
    }
    this.polls++;
    return result.partitions;
  }

  /** Unpaused partitions, those served longest ago (or never) first; ties keep assignment order. */
  private fetchOrder(): Position[] {
    const served = (p: Position) => this.lastServed.get(key(p.topic, p.partition)) ?? -1;
    return [...this.positions.values()]
      .filter((p) => !this.pausedSet.has(key(p.topic, p.partition)))
      .sort((a, b) => served(a) - served(b));
  }

  /** Commits explicit offsets: through the group member when given (generation-checked), else as a simple commit. */
  async commit(offsets: OffsetToCommit[], member?: GroupMember): Promise<void> {
    if (member) return member.commit(offsets);
    const groupId = this.options.groupId;
    if (!groupId) throw new ConfigError('commit: set groupId on the consumer, or pass the GroupMember');
    await this.cluster.withCoordinator(groupId, async (conn) => {
      const res = await conn.request(ApiKey.OffsetCommit, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: offsetCommitTopics(offsets),
      });
      for (const t of res.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0)
            throw brokerError(p.errorCode, `OffsetCommit "${groupId}" ${t.name}/${p.partitionIndex}`);
        }
      }
    });
  }

  /** Closes the connections when this consumer created them (not a shared cluster's); resolves once they are closed. */
  async close(): Promise<void> {
    if (this.ownsCluster) await this.cluster.close();
  }

  private async resolvePositions(): Promise<void> {
    const unresolved = [...this.positions.values()].filter((p) => p.offset === null);
    if (unresolved.length === 0) return;
    const groupId = this.options.groupId;
    if (groupId) {
      const byTopic = new Map<string, number[]>();
      for (const p of unresolved) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      const committed = await this.cluster.withCoordinator(groupId, (conn) =>
        fetchCommitted(
          conn,
          groupId,
          [...byTopic.entries()].map(([topic, partitions]) => ({ topic, partitions })),
        ),
      );
      for (const c of committed) {
        const pos = this.positions.get(key(c.topic, c.partition));
        if (pos && pos.offset === null && c.offset >= 0n) pos.offset = c.offset;
      }
    }
    const still = unresolved.filter((p) => p.offset === null);
    if (still.length === 0) return;
    const spec = this.options.autoOffsetReset === 'latest' ? -1n : -2n;
    const byLeader = new Map<number, Position[]>();
    for (const p of still) {
      const leader = (await this.cluster.leaderFor(p.topic, p.partition)).nodeId;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    await Promise.all(
      [...byLeader.entries()].map(async ([leader, ps]) => {
        const topics = new Map<string, Position[]>();
        for (const p of ps) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p]);
        const res = await this.cluster.broker(leader).request(ApiKey.ListOffsets, {
          replicaId: -1,
          isolationLevel: this.options.isolationLevel ?? 0,
          topics: [...topics.entries()].map(([name, list]) => ({
            name,
            partitions: list.map((p) => ({ partitionIndex: p.partition, timestamp: spec, maxNumOffsets: 1 })),
          })),
        });
        for (const t of res.topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0)
              throw brokerError(p.errorCode, `ListOffsets ${t.name}/${p.partitionIndex}`);
            const pos = this.positions.get(key(t.name, p.partitionIndex));
            if (pos) pos.offset = p.offset ?? p.oldStyleOffsets?.[0] ?? 0n;
          }
        }
      }),
    );
  }
}
