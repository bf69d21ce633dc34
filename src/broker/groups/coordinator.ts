import { randomUUID } from 'node:crypto';
import { type Logger, pino } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock, Timer } from '../../flow/clock.js';
import { checkNumber } from '../../flow/validate.js';
import {
  decodeAssignment,
  decodeSubscription,
  type TopicPartitions,
} from '../../protocol/consumer-protocol.js';
import { ErrorCode, type ErrorCodeValue } from '../../protocol/errors.js';
import { type CommittedOffset, CommittedOffsets } from './committed-offsets.js';
import { defaultGroupCoordinatorConfig, type GroupCoordinatorConfig } from './config.js';
import { Group, type GroupState, type JoinResult, Member, type SyncResult } from './group.js';
import { GroupMetrics } from './metrics.js';
import type { AppendToOffsetsTopic, OffsetsTopicLog, OffsetsTopicRecord } from './offsets-topic.js';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsTopicKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type GroupMetadataValue,
  offsetsPartitionFor,
} from './offsets-topic-format.js';
import { type ProtocolChoice, protocolsFit } from './protocol-selection.js';

interface GroupCoordinatorOptions {
  clock: Clock;
  log: OffsetsTopicLog;
  config?: Partial<GroupCoordinatorConfig>;
  logger?: Logger;
  /** The broker's Prometheus registry; the coordinator adds its series to it. */
  registry?: Registry;
  /** Whether a partition exists; commits to partitions that do not are refused. */
  partitionExists?: (topic: string, partition: number) => boolean;
  /** Member ids for new members; Kafka's shape (`<clientId>-<uuid>`) unless a test wants its own. */
  newMemberId?: (clientId: string) => string;
}

export interface JoinGroupInput {
  groupId: string;
  memberId: string;
  groupInstanceId?: string | null;
  sessionTimeoutMs: number;
  /** JoinGroup v0 has none; Kafka then uses the session timeout. */
  rebalanceTimeoutMs?: number;
  protocolType: string;
  protocols: ProtocolChoice[];
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

interface SyncGroupInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
  protocolType?: string | null;
  protocolName?: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

interface HeartbeatInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
}

interface LeaveGroupInput {
  groupId: string;
  members: { memberId: string; groupInstanceId?: string | null }[];
}

interface LeaveGroupResult {
  errorCode: ErrorCodeValue;
  members: { memberId: string; groupInstanceId: string | null; errorCode: ErrorCodeValue }[];
}

interface CommitPartitionInput {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch?: number;
  committedMetadata?: string | null;
  /** OffsetCommit v1 only; -1 means "now". */
  commitTimestamp?: number;
}

interface OffsetCommitInput {
  groupId: string;
  /** -1 for a simple (standalone) consumer that does not use group membership. */
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
  /** OffsetCommit v2-4; -1 means the broker's retention. */
  retentionTimeMs?: number;
  topics: { name: string; partitions: CommitPartitionInput[] }[];
}

/** TxnOffsetCommit: offsets committed by a transactional producer, visible once its transaction commits. */
export interface TxnOffsetCommitInput extends OffsetCommitInput {
  producerId: bigint;
  producerEpoch: number;
}

interface OffsetCommitResult {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: ErrorCodeValue }[] }[];
}

interface OffsetFetchInput {
  groupId: string;
  /** null asks for every partition the group has committed. */
  topics: { name: string; partitionIndexes: number[] }[] | null;
}

interface FetchedOffset {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: ErrorCodeValue;
}

interface OffsetFetchResult {
  errorCode: ErrorCodeValue;
  topics: { name: string; partitions: FetchedOffset[] }[];
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  groupState: GroupState;
}

interface DescribedGroup {
  errorCode: ErrorCodeValue;
  groupId: string;
  groupState: GroupState;
  protocolType: string;
  protocolData: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
  }[];
}

export interface MemberAssignment {
  memberId: string;
  clientId: string;
  clientHost: string;
  assigned: TopicPartitions[] | null;
}

const EMPTY = Buffer.alloc(0);

/**
 * Kafka's classic group coordinator: membership, rebalances and committed offsets for every group,
 * with `__consumer_offsets` as its durable state. Every method takes and returns plain objects, so the
 * protocol handlers stay thin and the whole state machine runs on a VirtualClock in tests.
 */
export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  private readonly clock: Clock;
  private readonly log: OffsetsTopicLog;
  private readonly logger: Logger;
  private readonly metrics?: GroupMetrics;
  private readonly partitionExists: (topic: string, partition: number) => boolean;
  private readonly newMemberId: (clientId: string) => string;
  private readonly groups = new Map<string, Group>();
  private readonly offsets = new CommittedOffsets();
  /** Offsets of open transactions, by producer id: applied or dropped when the marker comes. */
  private readonly pendingTxnOffsets = new Map<bigint, { group: string; committed: CommittedOffset }[]>();
  private loading = false;
  private expiryTimer?: Timer;
  private closed = false;

  constructor(options: GroupCoordinatorOptions) {
    this.config = validateConfig({ ...defaultGroupCoordinatorConfig, ...options.config });
    this.clock = options.clock;
    this.log = options.log;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.partitionExists = options.partitionExists ?? (() => true);
    this.newMemberId = options.newMemberId ?? ((clientId) => `${clientId}-${randomUUID()}`);
    if (options.registry) this.metrics = new GroupMetrics(options.registry, () => this.snapshot());
  }

  /** Rebuilds groups and offsets from `__consumer_offsets`, then starts the offset expiry timer. */
  async start(): Promise<void> {
    this.loading = true;
    try {
      for (let p = 0; p < this.log.partitions; p++) await this.replayPartition(p);
    } finally {
      this.loading = false;
    }
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) this.scheduleSession(group, member);
    }
    this.expiryTimer = this.clock.setInterval(() => {
      this.expireOffsets().catch((err) => this.logger.error({ err }, 'offset expiry failed'));
    }, this.config.offsetsRetentionCheckIntervalMs);
    this.logger.info(
      { groups: this.groups.size, partitions: this.log.partitions },
      'group coordinator loaded __consumer_offsets',
    );
  }

  /** Stops every timer and answers requests still waiting with COORDINATOR_NOT_AVAILABLE. */
  close(): void {
    this.closed = true;
    this.expiryTimer?.cancel();
    for (const group of this.groups.values()) {
      group.joinTimer?.cancel();
      group.syncTimer?.cancel();
      for (const t of group.pendingMembers.values()) t.cancel();
      for (const m of group.members.values()) {
        m.sessionTimer?.cancel();
        this.answerJoin(m, joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, m.memberId));
        this.answerSync(m, syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
      }
    }
  }

  /** The `__consumer_offsets` partition that holds a group's records. */
  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.log.partitions);
  }

  // ---------------------------------------------------------------- membership

  async joinGroup(req: JoinGroupInput): Promise<JoinResult> {
    const memberId = req.memberId;
    if (this.loading) return joinError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, memberId);
    if (this.closed) return joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, memberId);
    if (!req.groupId) return joinError(ErrorCode.INVALID_GROUP_ID, memberId);
    if (
      req.sessionTimeoutMs < this.config.minSessionTimeoutMs ||
      req.sessionTimeoutMs > this.config.maxSessionTimeoutMs
    ) {
      return joinError(ErrorCode.INVALID_SESSION_TIMEOUT, memberId);
    }
    let group = this.groups.get(req.groupId);
    if (!group) {
      if (memberId !== '') return joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId);
      group = new Group(req.groupId, this.clock.now());
      this.groups.set(req.groupId, group);
    }
    if (group.is('Dead')) return joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, memberId);
    if (!protocolsFit(group.protocolType, [...group.members.values()], req.protocolType, req.protocols)) {
      this.logger.warn(
        { group: group.groupId, protocolType: req.protocolType, protocols: req.protocols.map((p) => p.name) },
        'join refused: protocol type or protocols do not match the group',
      );
      this.dropIfUnused(group);
      return joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId);
    }
    const instanceId = req.groupInstanceId ?? null;
    if (instanceId) {
      if (memberId === '') {
        // A static member coming back (a restart) takes over its instance without a rebalance.
        const holder = group.staticMembers.get(instanceId);
        if (holder !== undefined && group.members.has(holder))
          return this.replaceStaticMember(group, holder, req);
        return this.addMemberAndRebalance(group, this.newMemberId(req.clientId), req);
      }
      if (this.fenced(group, memberId, instanceId)) return joinError(ErrorCode.FENCED_INSTANCE_ID, memberId);
    }
    return memberId === '' ? this.joinNewMember(group, req) : this.joinKnownMember(group, req);
  }

  /**
   * KIP-345: a request naming a static instance must come from the member id holding it now. Groups
   * replayed from `__consumer_offsets` (group metadata v1 has no instance ids) learn the pairs anew.
   */
  private fenced(group: Group, memberId: string, instanceId: string | null | undefined): boolean {
    if (!instanceId) return false;
    const holder = group.staticMembers.get(instanceId);
    if (holder === undefined) {
      if (group.members.has(memberId)) group.staticMembers.set(instanceId, memberId);
      return false;
    }
    return holder !== memberId;
  }

  private replaceStaticMember(group: Group, oldId: string, req: JoinGroupInput): Promise<JoinResult> {
    const old = group.members.get(oldId)!;
    const instanceId = req.groupInstanceId!;
    const member = new Member(
      this.newMemberId(req.clientId),
      instanceId,
      req.clientId,
      req.clientHost,
      req.rebalanceTimeoutMs ?? req.sessionTimeoutMs,
      req.sessionTimeoutMs,
      req.protocolType,
      old.protocols,
    );
    member.assignment = old.assignment;
    old.sessionTimer?.cancel();
    this.answerJoin(old, joinError(ErrorCode.FENCED_INSTANCE_ID, oldId));
    this.answerSync(old, syncError(ErrorCode.FENCED_INSTANCE_ID));
    group.members.delete(oldId);
    group.members.set(member.memberId, member);
    group.staticMembers.set(instanceId, member.memberId);
    const previousLeader = group.leaderId;
    if (group.leaderId === oldId) group.leaderId = member.memberId;
    this.scheduleSession(group, member);
    this.logger.info(
      { group: group.groupId, instance: instanceId, from: oldId, to: member.memberId },
      'static member rejoined under a new member id',
    );
    if (!member.matches(req.protocols) || group.is('PreparingRebalance')) {
      return this.updateMemberAndRebalance(group, member, req);
    }
    if (group.is('Stable')) {
      const assignments = new Map([...group.members].map(([id, m]) => [id, m.assignment]));
      this.storeGroup(group, assignments).catch((err) =>
        this.logger.error(
          { err, group: group.groupId },
          'could not write group metadata after a static rejoin',
        ),
      );
      // As Kafka: the current generation without a member list, and the leader id from before the
      // replacement, so a returning leader does not see itself as leader and keeps the assignment
      // instead of computing a new one (which a Stable group would never hand out).
      return Promise.resolve({
        ...this.joinResultFor(group, member),
        leader: previousLeader ?? '',
        members: [],
      });
    }
    return Promise.resolve(this.joinResultFor(group, member));
  }

  private joinNewMember(group: Group, req: JoinGroupInput): Promise<JoinResult> {
    const memberId = this.newMemberId(req.clientId);
    if (this.config.requireMemberIdOnJoin && req.apiVersion >= 4) {
      // KIP-394: the member must come back with this id; until then it holds up the rebalance.
      const timer = this.clock.setTimeout(() => {
        if (group.pendingMembers.delete(memberId)) this.tryCompleteJoin(group);
      }, req.sessionTimeoutMs);
      group.pendingMembers.set(memberId, timer);
      return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
    }
    return this.addMemberAndRebalance(group, memberId, req);
  }

  private joinKnownMember(group: Group, req: JoinGroupInput): Promise<JoinResult> {
    const pending = group.pendingMembers.get(req.memberId);
    if (pending) {
      pending.cancel();
      group.pendingMembers.delete(req.memberId);
      return this.addMemberAndRebalance(group, req.memberId, req);
    }
    const member = group.members.get(req.memberId);
    if (!member) return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, req);
      case 'CompletingRebalance':
        if (member.matches(req.protocols)) return Promise.resolve(this.joinResultFor(group, member));
        return this.updateMemberAndRebalance(group, member, req);
      case 'Stable':
        if (group.leaderId === member.memberId || !member.matches(req.protocols)) {
          return this.updateMemberAndRebalance(group, member, req);
        }
        return Promise.resolve(this.joinResultFor(group, member));
      default:
        return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    }
  }

  private addMemberAndRebalance(group: Group, memberId: string, req: JoinGroupInput): Promise<JoinResult> {
    const member = new Member(
      memberId,
      req.groupInstanceId ?? null,
      req.clientId,
      req.clientHost,
      req.rebalanceTimeoutMs ?? req.sessionTimeoutMs,
      req.sessionTimeoutMs,
      req.protocolType,
      req.protocols,
    );
    member.isNew = true;
    const answer = new Promise<JoinResult>((resolve) => {
      member.awaitingJoin = resolve;
    });
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    group.add(member);
    this.scheduleSession(group, member);
    this.logger.info({ group: group.groupId, member: memberId, clientId: req.clientId }, 'member joined');
    this.maybePrepareRebalance(group, `member ${memberId} joined`);
    this.tryCompleteJoin(group);
    return answer;
  }

  private updateMemberAndRebalance(group: Group, member: Member, req: JoinGroupInput): Promise<JoinResult> {
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs ?? req.sessionTimeoutMs;
    // A client that retried its JoinGroup is no longer waiting for the first answer.
    this.answerJoin(member, joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    const answer = new Promise<JoinResult>((resolve) => {
      member.awaitingJoin = resolve;
    });
    this.maybePrepareRebalance(group, `member ${member.memberId} rejoined`);
    this.tryCompleteJoin(group);
    return answer;
  }

  private maybePrepareRebalance(group: Group, reason: string): void {
    if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty')) {
      this.prepareRebalance(group, reason);
    }
  }

  private prepareRebalance(group: Group, reason: string): void {
    if (group.is('CompletingRebalance')) {
      this.answerAllSyncs(group, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    }
    group.syncTimer?.cancel();
    group.joinTimer?.cancel();
    const wasEmpty = group.is('Empty');
    group.transition('PreparingRebalance', this.clock.now());
    this.metrics?.rebalances.inc({ group: group.groupId });
    this.logger.info(
      { group: group.groupId, generation: group.generationId, members: group.members.size, reason },
      'rebalance started',
    );
    const delay = this.config.initialRebalanceDelayMs;
    group.initialJoinDelayed = wasEmpty && delay > 0;
    if (group.initialJoinDelayed) {
      group.newMemberAdded = false;
      this.scheduleInitialJoin(group, delay, Math.max(group.rebalanceTimeoutMs() - delay, 0));
    } else {
      group.joinTimer = this.clock.setTimeout(() => {
        group.joinTimer = undefined;
        this.completeJoin(group);
      }, group.rebalanceTimeoutMs());
    }
  }

  /** Kafka's InitialDelayedJoin: keep waiting while new members arrive, up to the rebalance timeout. */
  private scheduleInitialJoin(group: Group, delay: number, remaining: number): void {
    group.joinTimer = this.clock.setTimeout(() => {
      group.joinTimer = undefined;
      if (group.newMemberAdded && remaining > 0) {
        group.newMemberAdded = false;
        this.scheduleInitialJoin(group, Math.min(delay, remaining), Math.max(remaining - delay, 0));
      } else {
        this.completeJoin(group);
      }
    }, delay);
  }

  private tryCompleteJoin(group: Group): void {
    if (!group.is('PreparingRebalance')) return;
    if (group.initialJoinDelayed) return;
    if (group.allMembersJoined()) this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    if (!group.is('PreparingRebalance')) return;
    group.joinTimer?.cancel();
    group.joinTimer = undefined;
    group.initialJoinDelayed = false;
    for (const member of [...group.members.values()]) {
      if (!member.awaitingJoin) {
        this.metrics?.expiredMembers.inc({ group: group.groupId });
        this.logger.info(
          { group: group.groupId, member: member.memberId },
          'member removed: it did not rejoin before the rebalance timeout',
        );
        member.sessionTimer?.cancel();
        this.answerSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
        group.remove(member.memberId);
      }
    }
    group.generationId++;
    const now = this.clock.now();
    if (group.members.size === 0) {
      group.protocolName = null;
      group.leaderId = null;
      group.transition('Empty', now);
      this.logger.info({ group: group.groupId, generation: group.generationId }, 'group is empty');
      this.storeGroup(group, new Map()).catch((err) =>
        this.logger.error({ err, group: group.groupId }, 'could not write empty group metadata'),
      );
      return;
    }
    group.protocolName = group.selectProtocol() ?? null;
    group.transition('CompletingRebalance', now);
    this.logger.info(
      {
        group: group.groupId,
        generation: group.generationId,
        protocol: group.protocolName,
        leader: group.leaderId,
        members: group.members.size,
      },
      'rebalance joined: awaiting the leader assignment',
    );
    for (const member of group.members.values()) {
      member.isNew = false;
      this.answerJoin(member, this.joinResultFor(group, member));
      this.scheduleSession(group, member);
    }
    const generation = group.generationId;
    group.syncTimer = this.clock.setTimeout(() => {
      group.syncTimer = undefined;
      if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
      // The leader never sent its assignment (or some members never asked for theirs).
      for (const member of [...group.members.values()]) {
        if (!member.awaitingSync)
          this.removeMember(group, member, 'it did not sync before the rebalance timeout');
      }
      if (group.is('CompletingRebalance')) this.prepareRebalance(group, 'members missed the sync');
    }, group.rebalanceTimeoutMs());
  }

  private joinResultFor(group: Group, member: Member): JoinResult {
    const protocol = group.protocolName ?? '';
    const isLeader = group.leaderId === member.memberId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.metadataFor(protocol),
          }))
        : [],
    };
  }

  async syncGroup(req: SyncGroupInput): Promise<SyncResult> {
    if (this.loading) return syncError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    const group = this.groups.get(req.groupId);
    if (!group) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.is('Dead')) return syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (this.fenced(group, req.memberId, req.groupInstanceId)) return syncError(ErrorCode.FENCED_INSTANCE_ID);
    const member = group.members.get(req.memberId);
    if (!member) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (req.generationId !== group.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION);
    if (
      (req.protocolType != null && req.protocolType !== group.protocolType) ||
      (req.protocolName != null && req.protocolName !== group.protocolName)
    ) {
      return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    switch (group.state) {
      case 'PreparingRebalance':
        return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        this.scheduleSession(group, member);
        return this.syncResult(group, member.assignment);
      case 'CompletingRebalance': {
        this.answerSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        const answer = new Promise<SyncResult>((resolve) => {
          member.awaitingSync = resolve;
        });
        this.scheduleSession(group, member);
        if (group.leaderId === member.memberId) this.applyLeaderAssignment(group, req.assignments);
        return answer;
      }
      default:
        return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  private applyLeaderAssignment(group: Group, assignments: SyncGroupInput['assignments']): void {
    const generation = group.generationId;
    const byMember = new Map<string, Buffer>();
    for (const m of group.members.keys()) byMember.set(m, EMPTY);
    for (const a of assignments) if (byMember.has(a.memberId)) byMember.set(a.memberId, a.assignment);
    this.storeGroup(group, byMember).then(
      () => {
        if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
        for (const [id, assignment] of byMember) {
          const m = group.members.get(id);
          if (m) m.assignment = assignment;
        }
        group.syncTimer?.cancel();
        group.syncTimer = undefined;
        group.transition('Stable', this.clock.now());
        this.logger.info(
          { group: group.groupId, generation, members: group.members.size },
          'group stable: assignment delivered',
        );
        for (const m of group.members.values()) this.answerSync(m, this.syncResult(group, m.assignment));
      },
      (err) => {
        this.logger.error({ err, group: group.groupId }, 'could not write group metadata; rebalancing again');
        if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
        this.answerAllSyncs(group, syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
        this.prepareRebalance(group, 'group metadata write failed');
      },
    );
  }

  private syncResult(group: Group, assignment: Buffer): SyncResult {
    return {
      errorCode: ErrorCode.NONE,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      assignment,
    };
  }

  heartbeat(req: HeartbeatInput): ErrorCodeValue {
    if (this.loading) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    const group = this.groups.get(req.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.fenced(group, req.memberId, req.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    const member = group.members.get(req.memberId);
    if (group.is('Empty') || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.scheduleSession(group, member);
    return group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leaveGroup(req: LeaveGroupInput): LeaveGroupResult {
    const each = (code: ErrorCodeValue) =>
      req.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId ?? null,
        errorCode: code,
      }));
    if (this.loading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, members: [] };
    const group = this.groups.get(req.groupId);
    if (!group) return { errorCode: ErrorCode.NONE, members: each(ErrorCode.UNKNOWN_MEMBER_ID) };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = req.members.map((m) => {
      const result = {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId ?? null,
        errorCode: 0 as ErrorCodeValue,
      };
      let memberId = m.memberId;
      if (m.groupInstanceId) {
        const holder = group.staticMembers.get(m.groupInstanceId);
        if (memberId === '') memberId = holder ?? '';
        else if (holder !== undefined && holder !== memberId)
          return { ...result, errorCode: ErrorCode.FENCED_INSTANCE_ID };
      }
      const pending = group.pendingMembers.get(memberId);
      if (pending) {
        pending.cancel();
        group.pendingMembers.delete(memberId);
        this.tryCompleteJoin(group);
        return result;
      }
      const member = group.members.get(memberId);
      if (!member) return { ...result, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      this.removeMember(group, member, 'it left the group');
      return result;
    });
    return { errorCode: ErrorCode.NONE, members };
  }

  private scheduleSession(group: Group, member: Member): void {
    member.sessionTimer?.cancel();
    member.sessionTimer = this.clock.setTimeout(() => {
      if (group.members.get(member.memberId) !== member) return;
      // A member blocked in JoinGroup or SyncGroup is waiting on us, not gone.
      if (member.awaitingJoin || member.awaitingSync) {
        this.scheduleSession(group, member);
        return;
      }
      this.metrics?.expiredMembers.inc({ group: group.groupId });
      this.removeMember(group, member, `its session timed out after ${member.sessionTimeoutMs} ms`);
    }, member.sessionTimeoutMs);
  }

  private removeMember(group: Group, member: Member, reason: string): void {
    member.sessionTimer?.cancel();
    this.answerJoin(member, joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    this.answerSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    this.logger.info({ group: group.groupId, member: member.memberId, reason }, 'member removed');
    if (group.is('Stable') || group.is('CompletingRebalance')) {
      this.prepareRebalance(group, `member ${member.memberId} removed: ${reason}`);
    }
    this.tryCompleteJoin(group);
  }

  private answerJoin(member: Member, result: JoinResult): void {
    const resolve = member.awaitingJoin;
    member.awaitingJoin = undefined;
    resolve?.(result);
  }

  private answerSync(member: Member, result: SyncResult): void {
    const resolve = member.awaitingSync;
    member.awaitingSync = undefined;
    resolve?.(result);
  }

  private answerAllSyncs(group: Group, result: SyncResult): void {
    for (const m of group.members.values()) this.answerSync(m, result);
  }

  // ---------------------------------------------------------------- offsets

  async commitOffsets(req: OffsetCommitInput): Promise<OffsetCommitResult> {
    const checked = this.checkCommit(req, false);
    return 'topics' in checked ? checked : this.writeOffsets(checked, req);
  }

  /**
   * TxnOffsetCommit: the offsets are written to `__consumer_offsets` inside the producer's transaction
   * and kept aside; the group sees them only when the transaction commits (its marker reaches that
   * partition), never if it aborts. A member's generation is checked as for OffsetCommit; a producer
   * without one (generation -1) commits as a standalone consumer does.
   */
  async txnCommitOffsets(req: TxnOffsetCommitInput): Promise<OffsetCommitResult> {
    const checked = this.checkCommit(req, true);
    return 'topics' in checked ? checked : this.writeOffsets(checked, req, req);
  }

  /** The transaction of `producerId` ended in `partition` of `__consumer_offsets`. */
  completeTransaction(partition: number, producerId: bigint, commit: boolean): void {
    const pending = this.pendingTxnOffsets.get(producerId);
    if (!pending) return;
    const rest = pending.filter((p) => this.partitionFor(p.group) !== partition);
    if (commit) {
      for (const p of pending)
        if (this.partitionFor(p.group) === partition) this.offsets.put(p.group, p.committed);
    }
    if (rest.length === 0) this.pendingTxnOffsets.delete(producerId);
    else this.pendingTxnOffsets.set(producerId, rest);
  }

  /** Whether an open transaction holds offsets for the partition (OffsetFetch's require_stable). */
  hasPendingOffsets(groupId: string, topic: string, partition: number): boolean {
    for (const pending of this.pendingTxnOffsets.values())
      if (
        pending.some(
          (p) => p.group === groupId && p.committed.topic === topic && p.committed.partition === partition,
        )
      )
        return true;
    return false;
  }

  private checkCommit(req: OffsetCommitInput, transactional: boolean): Group | OffsetCommitResult {
    const all = (code: ErrorCodeValue): OffsetCommitResult => ({
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })),
      })),
    });
    if (this.loading) return all(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    if (this.closed) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!req.groupId) return all(ErrorCode.INVALID_GROUP_ID);
    let group = this.groups.get(req.groupId);
    if (!group) {
      // A generation means the committer was a member; its group is gone, so its generation is stale.
      if (req.generationId >= 0 && !transactional) return all(ErrorCode.ILLEGAL_GENERATION);
      group = new Group(req.groupId, this.clock.now());
      this.groups.set(req.groupId, group);
    }
    if (group.is('Dead')) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    // A transactional producer that names no member (generation -1) is not checked against the group.
    if (transactional && req.generationId < 0) return group;
    if (!(req.generationId < 0 && group.is('Empty'))) {
      if (this.fenced(group, req.memberId, req.groupInstanceId)) return all(ErrorCode.FENCED_INSTANCE_ID);
      if (group.is('CompletingRebalance')) return all(ErrorCode.REBALANCE_IN_PROGRESS);
      const member = group.members.get(req.memberId);
      if (!member) return all(ErrorCode.UNKNOWN_MEMBER_ID);
      if (req.generationId !== group.generationId) return all(ErrorCode.ILLEGAL_GENERATION);
      this.scheduleSession(group, member);
    }
    return group;
  }

  private async writeOffsets(
    group: Group,
    req: OffsetCommitInput,
    txn?: { producerId: bigint; producerEpoch: number },
  ): Promise<OffsetCommitResult> {
    const now = this.clock.now();
    const retention = req.retentionTimeMs ?? -1;
    const result: OffsetCommitResult = { topics: [] };
    const accepted: { code: { errorCode: ErrorCodeValue }; committed: CommittedOffset }[] = [];
    const records: OffsetsTopicRecord[] = [];
    for (const t of req.topics) {
      const partitions: OffsetCommitResult['topics'][number]['partitions'] = [];
      result.topics.push({ name: t.name, partitions });
      for (const p of t.partitions) {
        const entry = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as ErrorCodeValue };
        partitions.push(entry);
        const metadata = p.committedMetadata ?? '';
        if (Buffer.byteLength(metadata) > this.config.maxOffsetMetadataBytes) {
          entry.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
          continue;
        }
        if (!this.partitionExists(t.name, p.partitionIndex)) {
          entry.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          continue;
        }
        const commitTimestamp =
          p.commitTimestamp !== undefined && p.commitTimestamp >= 0 ? p.commitTimestamp : now;
        const committed: CommittedOffset = {
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch ?? -1,
          metadata,
          commitTimestamp,
          expireTimestamp: retention >= 0 ? commitTimestamp + retention : -1,
        };
        records.push({
          key: encodeOffsetCommitKey(group.groupId, t.name, p.partitionIndex),
          value: encodeOffsetCommitValue(committed),
        });
        accepted.push({ code: entry, committed });
      }
    }
    if (records.length === 0) return result;
    try {
      await this.append(this.partitionFor(group.groupId), records, now, txn);
    } catch (err) {
      this.logger.error({ err, group: group.groupId }, 'offset commit not written to __consumer_offsets');
      for (const a of accepted) a.code.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      return result;
    }
    if (txn) {
      this.addPending(
        txn.producerId,
        group.groupId,
        accepted.map((a) => a.committed),
      );
      return result;
    }
    for (const a of accepted) this.offsets.put(group.groupId, a.committed);
    this.metrics?.commits.inc({ group: group.groupId }, accepted.length);
    this.logger.debug({ group: group.groupId, partitions: accepted.length }, 'offsets committed');
    return result;
  }

  fetchOffsets(req: OffsetFetchInput): OffsetFetchResult {
    if (this.loading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, topics: [] };
    if (req.topics === null) {
      const topics = new Map<string, FetchedOffset[]>();
      for (const c of this.offsets.all(req.groupId)) {
        let list = topics.get(c.topic);
        if (!list) topics.set(c.topic, (list = []));
        list.push(fetched(c.partition, c));
      }
      return {
        errorCode: ErrorCode.NONE,
        topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
      };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => fetched(p, this.offsets.get(req.groupId, t.name, p))),
      })),
    };
  }

  /** Committed offsets of a group, for the broker's own tools (lag, admin). */
  committedOffsets(groupId: string): CommittedOffset[] {
    return this.offsets.all(groupId);
  }

  /**
   * Deletes offsets that outlived their retention: explicit expiry times first; otherwise, once a group
   * has stayed empty for the retention period (KIP-211), or, for groups that never used membership,
   * once the commit itself is that old. Tombstones go to `__consumer_offsets` before memory forgets.
   */
  async expireOffsets(): Promise<number> {
    if (this.loading) return 0;
    const now = this.clock.now();
    const retention = this.config.offsetsRetentionMs;
    let expiredCount = 0;
    const ids = new Set([...this.groups.keys(), ...this.offsets.groups()]);
    for (const groupId of ids) {
      const group = this.groups.get(groupId);
      if (group && !group.is('Empty')) continue;
      const expired = this.offsets.all(groupId).filter((c) => {
        if (c.expireTimestamp >= 0) return now >= c.expireTimestamp;
        const since = group?.protocolType
          ? Math.max(group.stateTimestamp, c.commitTimestamp)
          : c.commitTimestamp;
        return now - since >= retention;
      });
      const remaining = this.offsets.all(groupId).length - expired.length;
      const records: OffsetsTopicRecord[] = expired.map((c) => ({
        key: encodeOffsetCommitKey(groupId, c.topic, c.partition),
        value: null,
      }));
      const groupGoes = remaining === 0 && (!group || group.members.size === 0);
      if (groupGoes && group?.protocolType)
        records.push({ key: encodeGroupMetadataKey(groupId), value: null });
      if (records.length > 0) await this.append(this.partitionFor(groupId), records, now);
      for (const c of expired) this.offsets.delete(groupId, c.topic, c.partition);
      if (expired.length > 0) {
        expiredCount += expired.length;
        this.metrics?.expiredOffsets.inc({ group: groupId }, expired.length);
        this.logger.info({ group: groupId, partitions: expired.length }, 'committed offsets expired');
      }
      if (groupGoes && group?.is('Empty')) {
        group.transition('Dead', now);
        this.groups.delete(groupId);
      }
    }
    return expiredCount;
  }

  // ---------------------------------------------------------------- admin

  listGroups(statesFilter: string[] = []): GroupListing[] {
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
    return [...this.groups.values()]
      .filter((g) => !g.is('Dead') && (wanted.size === 0 || wanted.has(g.state.toLowerCase())))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state }));
  }

  describeGroup(groupId: string): DescribedGroup {
    const base = { groupId, protocolType: '', protocolData: '', members: [] };
    if (!groupId) return { ...base, errorCode: ErrorCode.INVALID_GROUP_ID, groupState: 'Dead' };
    if (this.loading)
      return { ...base, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groupState: 'Dead' };
    const group = this.groups.get(groupId);
    if (!group) return { ...base, errorCode: ErrorCode.NONE, groupState: 'Dead' };
    const stable = group.is('Stable');
    const protocol = group.protocolName ?? '';
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? protocol : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        // Kafka shows a member's last assignment in every state (it only drops the metadata outside
        // Stable), so a rebalance in progress still tells who held what.
        memberMetadata: stable ? m.metadataFor(protocol) : EMPTY,
        memberAssignment: m.assignment,
      })),
    };
  }

  async deleteGroup(groupId: string): Promise<ErrorCodeValue> {
    if (this.loading) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (!groupId) return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(groupId);
    if (!group && !this.offsets.has(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group?.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group && !group.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
    const records: OffsetsTopicRecord[] = this.offsets.all(groupId).map((c) => ({
      key: encodeOffsetCommitKey(groupId, c.topic, c.partition),
      value: null,
    }));
    records.push({ key: encodeGroupMetadataKey(groupId), value: null });
    try {
      await this.append(this.partitionFor(groupId), records, this.clock.now());
    } catch (err) {
      this.logger.error({ err, group: groupId }, 'group deletion not written to __consumer_offsets');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    this.offsets.deleteGroup(groupId);
    group?.transition('Dead', this.clock.now());
    this.groups.delete(groupId);
    this.logger.info({ group: groupId }, 'group deleted');
    return ErrorCode.NONE;
  }

  /**
   * OffsetDelete, as Kafka's coordinator does it: the group must exist (GROUP_ID_NOT_FOUND otherwise)
   * and, while it has members, be a "consumer" group (NON_EMPTY_GROUP otherwise); a partition of a topic
   * its members subscribe to is refused with GROUP_SUBSCRIBED_TO_TOPIC; the others lose their committed
   * offset (a tombstone in `__consumer_offsets`), or answer NONE when they had none.
   */
  async deleteOffsets(
    groupId: string,
    partitions: Array<{ topic: string; partition: number }>,
  ): Promise<{
    errorCode: ErrorCodeValue;
    results: Array<{ topic: string; partition: number; errorCode: ErrorCodeValue }>;
  }> {
    const refuse = (errorCode: ErrorCodeValue) => ({ errorCode, results: [] });
    if (this.loading) return refuse(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    const group = this.groups.get(groupId);
    if ((!group && !this.offsets.has(groupId)) || group?.is('Dead'))
      return refuse(ErrorCode.GROUP_ID_NOT_FOUND);
    if (group && !group.is('Empty') && group.protocolType !== 'consumer')
      return refuse(ErrorCode.NON_EMPTY_GROUP);
    const subscribed = group ? this.subscribedTopics(group) : new Set<string>();
    const results = partitions.map((p) => ({
      ...p,
      errorCode: subscribed.has(p.topic) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE,
    }));
    const doomed = results.filter(
      (r) => r.errorCode === ErrorCode.NONE && this.offsets.get(groupId, r.topic, r.partition),
    );
    const records = doomed.map((r) => ({
      key: encodeOffsetCommitKey(groupId, r.topic, r.partition),
      value: null,
    }));
    if (records.length > 0) {
      try {
        await this.append(this.partitionFor(groupId), records, this.clock.now());
      } catch (err) {
        this.logger.error({ err, group: groupId }, 'offset deletion not written to __consumer_offsets');
        return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
    }
    for (const r of doomed) this.offsets.delete(groupId, r.topic, r.partition);
    if (doomed.length > 0)
      this.logger.info({ group: groupId, partitions: doomed.length }, 'committed offsets deleted');
    return { errorCode: ErrorCode.NONE, results };
  }

  /** Topics the members of an active "consumer" group subscribe to (none when Empty). */
  private subscribedTopics(group: Group): Set<string> {
    const topics = new Set<string>();
    if (group.protocolType !== 'consumer' || group.is('Empty')) return topics;
    for (const m of group.members.values()) {
      try {
        for (const t of decodeSubscription(m.metadataFor(group.protocolName ?? '')).topics) topics.add(t);
      } catch {
        // An unreadable subscription protects nothing; Kafka would not have accepted it either.
      }
    }
    return topics;
  }

  /**
   * Which partitions each member owns, decoded from the assignments of a "consumer" group (the lag
   * monitor shows owners with it). Members of other protocol types, or with an assignment this
   * decoder cannot read, get `assigned: null`.
   */
  memberAssignments(groupId: string): MemberAssignment[] {
    const group = this.groups.get(groupId);
    if (!group) return [];
    return [...group.members.values()].map((m) => {
      let assigned: TopicPartitions[] | null = null;
      if (group.protocolType === 'consumer') {
        try {
          assigned = decodeAssignment(m.assignment).assignedPartitions;
        } catch {
          assigned = null;
        }
      }
      return { memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, assigned };
    });
  }

  /** State of every group, for metrics and the broker's own views. */
  snapshot(): { groupId: string; state: GroupState; members: number; generationId: number }[] {
    return [...this.groups.values()].map((g) => ({
      groupId: g.groupId,
      state: g.state,
      members: g.members.size,
      generationId: g.generationId,
    }));
  }

  // ---------------------------------------------------------------- persistence

  private async storeGroup(group: Group, assignments: Map<string, Buffer>): Promise<void> {
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: group.stateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.metadataFor(group.protocolName ?? ''),
        assignment: assignments.get(m.memberId) ?? EMPTY,
      })),
    };
    const encoded = encodeGroupMetadataValue(value);
    const timestamp = this.clock.now();
    await this.append(
      this.partitionFor(group.groupId),
      [{ key: encodeGroupMetadataKey(group.groupId), value: encoded }],
      timestamp,
    );
  }

  /**
   * Every append to `__consumer_offsets` goes through here. The partition is a `cleanup.policy=compact`
   * topic: storage's log compaction keeps the newest record per key, so replay stays short.
   */
  private readonly append: AppendToOffsetsTopic = (partition, records, timestamp, txn) =>
    this.log.append(partition, records, timestamp, txn);

  private addPending(producerId: bigint, group: string, committed: CommittedOffset[]): void {
    let pending = this.pendingTxnOffsets.get(producerId);
    if (!pending) this.pendingTxnOffsets.set(producerId, (pending = []));
    for (const c of committed) pending.push({ group, committed: c });
  }

  private async replayPartition(partition: number): Promise<void> {
    for await (const record of this.log.replay(partition)) {
      if (record.producerId !== undefined && record.commit !== undefined) {
        this.completeTransaction(partition, record.producerId, record.commit);
        continue;
      }
      if (record.producerId !== undefined) {
        this.replayPendingOffset(record.producerId, record.key, record.value);
        continue;
      }
      try {
        const key = decodeOffsetsTopicKey(record.key);
        if (key.kind === 'offset') {
          if (record.value === null || record.value.length === 0) {
            this.offsets.delete(key.group, key.topic, key.partition);
          } else {
            const v = decodeOffsetCommitValue(record.value);
            this.offsets.put(key.group, { ...v, topic: key.topic, partition: key.partition });
            if (!this.groups.has(key.group))
              this.groups.set(key.group, new Group(key.group, v.commitTimestamp));
          }
        } else if (record.value === null || record.value.length === 0) {
          this.groups.delete(key.group);
        } else {
          this.groups.set(
            key.group,
            this.restoreGroup(key.group, decodeGroupMetadataValue(record.value), record.timestamp),
          );
        }
      } catch (err) {
        this.logger.warn({ err, partition }, 'skipping an unreadable __consumer_offsets record');
      }
    }
    // Offset tombstones may have emptied a group that only existed through its offsets.
    for (const [id, group] of this.groups) {
      if (group.is('Empty') && !group.protocolType && !this.offsets.has(id)) this.groups.delete(id);
    }
  }

  /** An offset commit inside a transaction, read back on start: pending until its marker is read. */
  private replayPendingOffset(producerId: bigint, key: Buffer, value: Buffer | null): void {
    try {
      const k = decodeOffsetsTopicKey(key);
      if (k.kind !== 'offset' || value === null || value.length === 0) return;
      const v = decodeOffsetCommitValue(value);
      if (!this.groups.has(k.group)) this.groups.set(k.group, new Group(k.group, v.commitTimestamp));
      this.addPending(producerId, k.group, [{ ...v, topic: k.topic, partition: k.partition }]);
    } catch (err) {
      this.logger.warn({ err }, 'skipping an unreadable transactional __consumer_offsets record');
    }
  }

  private restoreGroup(groupId: string, value: GroupMetadataValue, recordTimestamp: number): Group {
    const group = new Group(
      groupId,
      value.currentStateTimestamp >= 0 ? value.currentStateTimestamp : recordTimestamp,
    );
    group.generationId = value.generation;
    group.protocolType = value.protocolType || null;
    group.protocolName = value.protocol;
    for (const m of value.members) {
      const member = new Member(
        m.memberId,
        m.groupInstanceId,
        m.clientId,
        m.clientHost,
        m.rebalanceTimeoutMs,
        m.sessionTimeoutMs,
        value.protocolType,
        [{ name: value.protocol ?? '', metadata: m.subscription }],
      );
      member.assignment = m.assignment;
      group.members.set(member.memberId, member);
    }
    group.leaderId = value.leader;
    group.state = group.members.size > 0 ? 'Stable' : 'Empty';
    return group;
  }

  private dropIfUnused(group: Group): void {
    if (
      group.is('Empty') &&
      group.members.size === 0 &&
      !group.protocolType &&
      !this.offsets.has(group.groupId)
    ) {
      this.groups.delete(group.groupId);
    }
  }
}

/** A JoinGroup refused with `errorCode`: every other field at Kafka's default. */
export function joinError(errorCode: ErrorCodeValue, memberId: string): JoinResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    memberId,
    members: [],
  };
}

function syncError(errorCode: ErrorCodeValue): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

function fetched(partitionIndex: number, c: CommittedOffset | undefined): FetchedOffset {
  return {
    partitionIndex,
    committedOffset: c ? c.offset : -1,
    committedLeaderEpoch: c ? c.leaderEpoch : -1,
    metadata: c ? c.metadata : '',
    errorCode: ErrorCode.NONE,
  };
}

function validateConfig(config: GroupCoordinatorConfig): GroupCoordinatorConfig {
  for (const [name, value] of Object.entries(config)) {
    if (typeof value === 'number') checkNumber(`group coordinator config ${name}`, value, { min: 0 });
  }
  if (config.minSessionTimeoutMs > config.maxSessionTimeoutMs) {
    throw new RangeError(
      `group coordinator config minSessionTimeoutMs (${config.minSessionTimeoutMs}) exceeds maxSessionTimeoutMs (${config.maxSessionTimeoutMs})`,
    );
  }
  if (config.offsetsRetentionCheckIntervalMs === 0) {
    throw new RangeError('group coordinator config offsetsRetentionCheckIntervalMs must be above 0');
  }
  return config;
}
