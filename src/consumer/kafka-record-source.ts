import type { Assignor } from '../client/assignors.js';
import type { Cluster, ClusterOptions } from '../client/cluster.js';
import { clusterFor } from '../client/cluster-for.js';
import { ConsumerClient } from '../client/consumer-client.js';
import type { FetchedPartition } from '../client/fetcher.js';
import { GroupMember, type OffsetToCommit } from '../client/group.js';
import type { Clock } from '../flow/clock.js';
import { ConsumerConfigError } from './config.js';
import type { AssignmentListener, FetchLimits, RecordSource, TopicPartition } from './types.js';

export interface KafkaSourceOptions {
  /** Bootstrap brokers ("host:port"), or a shared `cluster`. */
  brokers?: string[];
  cluster?: Cluster;
  clientId?: string;
  clusterOptions?: Omit<ClusterOptions, 'brokers' | 'clock'>;
  groupId: string;
  /** Subscribe through the group protocol (partitions are assigned by the group). */
  topics?: string[];
  /** Or take these partitions directly (no group membership; offsets still committed to `groupId`). */
  assignment?: TopicPartition[];
  autoOffsetReset?: 'earliest' | 'latest';
  /** 1: read_committed (stop at the last stable offset, skip aborted transactions); default 0. */
  isolationLevel?: 0 | 1;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  assignors?: Assignor[];
  clock?: Clock;
}

/**
 * Kafka as a record source, through Sluice's own client: group membership with heartbeats on their own
 * timer (so a consumer that stopped fetching stays in the group), fetches sized by the caller, and
 * commits checked against the member's generation.
 */
export class KafkaSource implements RecordSource {
  readonly cluster: Cluster;
  readonly client: ConsumerClient;
  member: GroupMember | null = null;
  private readonly ownsCluster: boolean;
  private readonly options: KafkaSourceOptions;
  private assigned: TopicPartition[] = [];

  constructor(options: KafkaSourceOptions) {
    if (!options.groupId) throw new ConsumerConfigError('kafka source: groupId is required');
    if (!options.topics?.length && !options.assignment?.length) {
      throw new ConsumerConfigError(
        'kafka source: give `topics` to subscribe to, or an explicit `assignment`',
      );
    }
    if (options.topics?.length && options.assignment?.length) {
      throw new ConsumerConfigError('kafka source: give either `topics` or `assignment`, not both');
    }
    this.options = options;
    if (!options.cluster && !options.brokers?.length) {
      throw new ConsumerConfigError('kafka source: give `brokers` (["host:port"]) or a shared `cluster`');
    }
    const { cluster, owned } = clusterFor(options, 'kafka source', 'sluice-consumer');
    this.cluster = cluster;
    this.ownsCluster = owned;
    this.client = new ConsumerClient({
      cluster: this.cluster,
      groupId: options.groupId,
      autoOffsetReset: options.autoOffsetReset ?? 'earliest',
      isolationLevel: options.isolationLevel,
    });
  }

  async start(listener: AssignmentListener): Promise<void> {
    await this.cluster.connect();
    if (this.options.assignment) {
      this.assigned = [...this.options.assignment];
      this.client.assign(this.assigned);
      await listener.onAssign(this.assigned);
      return;
    }
    this.member = new GroupMember({
      cluster: this.cluster,
      groupId: this.options.groupId,
      topics: this.options.topics!,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      assignors: this.options.assignors,
      onAssign: async (tps) => {
        const parts = tps.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
        this.assigned = parts;
        this.client.assign(parts);
        await listener.onAssign(parts);
      },
      onRevoke: async (tps) => {
        const parts = tps.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
        await listener.onRevoke(parts);
        this.client.unassign(parts);
        const gone = new Set(parts.map((p) => `${p.topic}\u0000${p.partition}`));
        this.assigned = this.assigned.filter((p) => !gone.has(`${p.topic}\u0000${p.partition}`));
      },
    });
    await this.member.join();
  }

  async fetch(partitions: TopicPartition[], limits: FetchLimits): Promise<FetchedPartition[]> {
    const wanted = new Set(partitions.map((p) => `${p.topic}\u0000${p.partition}`));
    const skip = this.assigned.filter((p) => !wanted.has(`${p.topic}\u0000${p.partition}`));
    this.client.resume(this.assigned);
    this.client.pause(skip);
    if (partitions.length === 0) return [];
    return this.client.poll(limits);
  }

  seek(topic: string, partition: number, offset: bigint): void {
    if (this.client.position(topic, partition) === null) return;
    this.client.seek(topic, partition, offset);
  }

  async commit(offsets: OffsetToCommit[]): Promise<void> {
    await this.client.commit(offsets, this.member ?? undefined);
  }

  async stop(): Promise<void> {
    try {
      if (this.member) await this.member.leave();
      else if (this.assigned.length > 0) this.client.unassign(this.assigned);
    } finally {
      this.close();
    }
  }

  close(): void {
    this.member?.close();
    this.client.close();
    if (this.ownsCluster) this.cluster.close();
  }
}
