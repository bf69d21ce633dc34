import { EventEmitter } from 'node:events';
import type { Timer } from '../flow/clock.js';
import { ApiKey } from '../protocol/api-keys.js';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type TopicPartitions,
} from '../protocol/consumer-protocol.js';
import { ErrorCode } from '../protocol/errors.js';
import { type Assignor, rangeAssignor, roundRobinAssignor } from './assignors.js';
import type { Cluster } from './cluster.js';
import {
  brokerError,
  ClientClosedError,
  ConfigError,
  coordinatorMoved,
  KafkaClientError,
  needsCoordinator,
} from './errors.js';

/**
 * Membership of a consumer group (the classic JoinGroup/SyncGroup protocol).
 *
 * Heartbeats run on their own timer, independent of whatever the application does with the records,
 * so a slow handler never makes the member miss its session. When the coordinator announces a
 * rebalance, the member revokes eagerly: `onRevoke` is awaited (the place to finish in-flight work and
 * commit), then it rejoins, and `onAssign` is awaited with the new partitions before the member reports
 * itself stable again. Both callbacks must finish within the rebalance timeout.
 */

export interface GroupMemberOptions {
  cluster: Cluster;
  groupId: string;
  topics: string[];
  /** The coordinator drops the member after this long without a heartbeat (default 30 s). */
  sessionTimeoutMs?: number;
  /** How long the coordinator waits for all members to rejoin (default 60 s). */
  rebalanceTimeoutMs?: number;
  /** Default: a third of the session timeout, at most 3 s. */
  heartbeatIntervalMs?: number;
  /** Protocols offered, in order of preference (default range, then roundrobin: Java's and librdkafka's order). */
  assignors?: Assignor[];
  onAssign?: (partitions: TopicPartitions[], generationId: number) => void | Promise<void>;
  onRevoke?: (partitions: TopicPartitions[], generationId: number) => void | Promise<void>;
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  /** The offset of the next record to consume (last processed + 1), as Kafka expects. */
  offset: bigint;
  metadata?: string | null;
}

/** OffsetCommit's `topics` for a list of offsets: one entry per topic, partitions in the order given. */
export function offsetCommitTopics(offsets: readonly OffsetToCommit[]) {
  const topics = new Map<
    string,
    { partitionIndex: number; committedOffset: bigint; committedMetadata: string | null }[]
  >();
  for (const o of offsets) {
    const list = topics.get(o.topic) ?? [];
    list.push({
      partitionIndex: o.partition,
      committedOffset: o.offset,
      committedMetadata: o.metadata ?? null,
    });
    topics.set(o.topic, list);
  }
  return [...topics.entries()].map(([name, partitions]) => ({ name, partitions }));
}

export type MemberState = 'idle' | 'joining' | 'stable' | 'leaving' | 'closed';

export interface GroupMemberStats {
  state: MemberState;
  memberId: string;
  generationId: number;
  isLeader: boolean;
  protocol: string | null;
  assigned: number;
  heartbeats: number;
  heartbeatErrors: number;
  rebalances: number;
  lastHeartbeatAt: number;
}

export class GroupMember extends EventEmitter {
  readonly groupId: string;
  readonly topics: string[];
  memberId = '';
  generationId = -1;
  leaderId = '';
  protocol: string | null = null;
  private assigned: TopicPartitions[] = [];
  private state: MemberState = 'idle';
  private readonly cluster: Cluster;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly assignors: Assignor[];
  private readonly options: GroupMemberOptions;
  private heartbeatTimer: Timer | null = null;
  private heartbeatInFlight = false;
  private rebalancing: Promise<void> | null = null;
  private readonly counters = { heartbeats: 0, heartbeatErrors: 0, rebalances: 0, lastHeartbeatAt: -1 };

  constructor(options: GroupMemberOptions) {
    super();
    if (!options.groupId) throw new ConfigError('group member: groupId is required');
    if (!options.topics?.length) throw new ConfigError('group member: subscribe to at least one topic');
    this.options = options;
    this.cluster = options.cluster;
    this.groupId = options.groupId;
    this.topics = [...options.topics].sort();
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000;
    this.rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? 60_000;
    this.heartbeatIntervalMs =
      options.heartbeatIntervalMs ?? Math.min(3000, Math.floor(this.sessionTimeoutMs / 3));
    if (this.heartbeatIntervalMs >= this.sessionTimeoutMs) {
      throw new ConfigError(
        `heartbeatIntervalMs (${this.heartbeatIntervalMs}) must be below sessionTimeoutMs (${this.sessionTimeoutMs})`,
      );
    }
    this.assignors = options.assignors ?? [rangeAssignor, roundRobinAssignor];
    if (this.assignors.length === 0) throw new ConfigError('group member: give at least one assignor');
  }

  /** Partitions currently assigned to this member. */
  assignment(): TopicPartitions[] {
    return this.assigned.map((t) => ({ topic: t.topic, partitions: [...t.partitions] }));
  }

  get isLeader(): boolean {
    return this.memberId !== '' && this.memberId === this.leaderId;
  }

  /** Joins the group and starts heartbeating; resolves once the first assignment was handed to onAssign. */
  async join(): Promise<TopicPartitions[]> {
    if (this.state === 'closed') throw new ClientClosedError(`joining group "${this.groupId}"`);
    await this.rebalance('initial join');
    this.startHeartbeats();
    return this.assignment();
  }

  /** Forces a rebalance (e.g. after the subscribed topics gained partitions). */
  requestRejoin(reason = 'requested'): Promise<void> {
    return this.rebalance(reason);
  }

  /** Commits offsets for this generation. Throws a clear error when the group moved on without us. */
  async commit(offsets: OffsetToCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.cluster.withCoordinator(this.groupId, async (conn) => {
      const res = await conn.request(ApiKey.OffsetCommit, {
        groupId: this.groupId,
        generationIdOrMemberEpoch: this.generationId,
        memberId: this.memberId,
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: offsetCommitTopics(offsets),
      });
      for (const t of res.topics) {
        for (const p of t.partitions) {
          if (p.errorCode === 0) continue;
          const err = brokerError(
            p.errorCode,
            `OffsetCommit for group "${this.groupId}" ${t.name}/${p.partitionIndex}`,
          );
          if ([22, 25, 27].includes(p.errorCode))
            void this.rebalance(`commit failed: ${err.codeName}`).catch(() => {});
          throw err;
        }
      }
    });
  }

  /** Revokes (awaiting onRevoke), leaves the group and stops heartbeating. */
  async leave(): Promise<void> {
    if (this.state === 'closed') return;
    this.stopHeartbeats();
    if (this.rebalancing) await this.rebalancing.catch(() => {});
    this.state = 'leaving';
    if (this.assigned.length > 0) await this.options.onRevoke?.(this.assignment(), this.generationId);
    this.assigned = [];
    if (this.memberId) {
      try {
        const conn = await this.cluster.coordinator(this.groupId);
        await conn.request(ApiKey.LeaveGroup, {
          groupId: this.groupId,
          memberId: this.memberId,
          members: [{ memberId: this.memberId, groupInstanceId: null }],
        });
      } catch {
        // Leaving is a courtesy: the session timeout removes the member anyway.
      }
    }
    this.state = 'closed';
  }

  /** Stops heartbeating and marks the member gone without telling the coordinator (it is unreachable). */
  close(): void {
    this.stopHeartbeats();
    this.state = 'closed';
  }

  stats(): GroupMemberStats {
    return {
      state: this.state,
      memberId: this.memberId,
      generationId: this.generationId,
      isLeader: this.isLeader,
      protocol: this.protocol,
      assigned: this.assigned.reduce((s, t) => s + t.partitions.length, 0),
      ...this.counters,
    };
  }

  private startHeartbeats(): void {
    if (this.heartbeatTimer) return;
    this.heartbeatTimer = this.cluster.clock.setInterval(
      () => void this.heartbeat(),
      this.heartbeatIntervalMs,
    );
  }

  private stopHeartbeats(): void {
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = null;
  }

  private async heartbeat(): Promise<void> {
    if (this.state !== 'stable' || this.heartbeatInFlight) return;
    this.heartbeatInFlight = true;
    try {
      const conn = await this.cluster.coordinator(this.groupId);
      const res = await conn.request(
        ApiKey.Heartbeat,
        {
          groupId: this.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId: null,
        },
        { timeoutMs: this.sessionTimeoutMs },
      );
      this.counters.heartbeats++;
      this.counters.lastHeartbeatAt = this.cluster.clock.now();
      if (res.errorCode === 0) return;
      this.counters.heartbeatErrors++;
      if (res.errorCode === 25) this.memberId = '';
      if (needsCoordinator(res.errorCode)) {
        this.cluster.forgetCoordinator(this.groupId);
        return;
      }
      if ([22, 25, 27].includes(res.errorCode)) {
        void this.rebalance(brokerError(res.errorCode, 'Heartbeat').codeName).catch((err) =>
          this.emit('memberError', err),
        );
      } else {
        this.emit('memberError', brokerError(res.errorCode, `Heartbeat for group "${this.groupId}"`));
      }
    } catch (err) {
      this.counters.heartbeatErrors++;
      this.cluster.forgetCoordinator(this.groupId);
      this.emit('heartbeatError', err);
    } finally {
      this.heartbeatInFlight = false;
    }
  }

  private rebalance(reason: string): Promise<void> {
    if (this.state === 'closed' || this.state === 'leaving') {
      return Promise.reject(new ClientClosedError(`rebalancing group "${this.groupId}"`));
    }
    this.rebalancing ??= (async () => {
      this.state = 'joining';
      this.emit('rebalancing', { reason });
      try {
        if (this.assigned.length > 0) {
          const revoked = this.assignment();
          this.assigned = [];
          await this.options.onRevoke?.(revoked, this.generationId);
        }
        await this.joinAndSync();
        this.counters.rebalances++;
        await this.options.onAssign?.(this.assignment(), this.generationId);
        this.state = 'stable';
        this.emit('assigned', { generationId: this.generationId, partitions: this.assignment() });
      } catch (err) {
        this.state = 'idle';
        throw err;
      } finally {
        this.rebalancing = null;
      }
    })();
    return this.rebalancing;
  }

  private async joinAndSync(): Promise<void> {
    const deadline = this.cluster.clock.now() + this.rebalanceTimeoutMs * 2;
    let attempt = 0;
    for (;;) {
      if (this.state === 'closed') throw new ClientClosedError(`joining group "${this.groupId}"`);
      if (this.cluster.clock.now() > deadline) {
        throw new KafkaClientError(
          `could not join group "${this.groupId}" within ${this.rebalanceTimeoutMs * 2} ms; check the coordinator`,
          { retriable: true },
        );
      }
      try {
        if (await this.tryJoinAndSync()) return;
      } catch (err) {
        if (coordinatorMoved(err)) this.cluster.forgetCoordinator(this.groupId);
        else if (!(err instanceof KafkaClientError && err.retriable)) throw err;
        else this.cluster.forgetCoordinator(this.groupId);
        await this.cluster.clock.sleep(this.cluster.retry.backoffMs(++attempt));
      }
    }
  }

  /** One JoinGroup + SyncGroup round; false when the coordinator asked us to go round again. */
  private async tryJoinAndSync(): Promise<boolean> {
    const conn = await this.cluster.coordinator(this.groupId);
    const join = await conn.request(
      ApiKey.JoinGroup,
      {
        groupId: this.groupId,
        sessionTimeoutMs: this.sessionTimeoutMs,
        rebalanceTimeoutMs: this.rebalanceTimeoutMs,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: this.assignors.map((a) => ({
          name: a.name,
          metadata: encodeSubscription({ topics: this.topics }),
        })),
      },
      { timeoutMs: this.rebalanceTimeoutMs + 5000 },
    );
    if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      // The coordinator handed us an id to join with.
      this.memberId = join.memberId;
      return false;
    }
    if (join.errorCode === 25) {
      this.memberId = '';
      return false;
    }
    if (join.errorCode === 27) return false;
    if (join.errorCode !== 0) throw brokerError(join.errorCode, `JoinGroup "${this.groupId}"`);
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    this.leaderId = join.leader;
    this.protocol = join.protocolName;

    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (this.isLeader) assignments = await this.computeAssignments(join.members, join.protocolName);
    const sync = await conn.request(
      ApiKey.SyncGroup,
      {
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: this.protocol,
        assignments,
      },
      { timeoutMs: this.rebalanceTimeoutMs + 5000 },
    );
    if (sync.errorCode === 27 || sync.errorCode === 22) return false;
    if (sync.errorCode === 25) {
      this.memberId = '';
      return false;
    }
    if (sync.errorCode !== 0) throw brokerError(sync.errorCode, `SyncGroup "${this.groupId}"`);
    const mine = decodeAssignment(sync.assignment).assignedPartitions;
    this.assigned = mine.filter((t) => t.partitions.length > 0);
    return true;
  }

  private async computeAssignments(
    members: { memberId: string; metadata: Buffer }[],
    protocol: string | null,
  ): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = this.assignors.find((a) => a.name === protocol);
    if (!assignor) {
      throw new KafkaClientError(
        `the coordinator chose protocol "${protocol}", which this member did not offer`,
      );
    }
    const decoded = members.map((m) => ({
      memberId: m.memberId,
      subscription: decodeSubscription(m.metadata),
    }));
    const topics = [...new Set(decoded.flatMap((m) => m.subscription.topics))].sort();
    const counts = new Map<string, number>();
    await this.cluster.refreshMetadata(topics).catch(() => {});
    for (const t of topics) {
      const meta = this.cluster.cachedTopic(t);
      if (meta) counts.set(t, meta.partitions.length);
      else this.emit('warning', { message: `subscribed topic "${t}" does not exist; it gets no consumers` });
    }
    const result = assignor.assign(decoded, counts);
    return decoded.map((m) => ({
      memberId: m.memberId,
      assignment: encodeAssignment({ assignedPartitions: result.get(m.memberId) ?? [] }),
    }));
  }
}
