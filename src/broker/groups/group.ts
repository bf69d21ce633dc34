import type { Timer } from '../../flow/clock.js';
import type { ErrorCodeValue } from '../../protocol/errors.js';
import { type ProtocolChoice, selectProtocol } from './protocol-selection.js';

/** Kafka's classic group states; the names are what DescribeGroups and ListGroups report. */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinResult {
  errorCode: ErrorCodeValue;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Filled for the leader only: every member with its metadata for the chosen protocol. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  errorCode: ErrorCodeValue;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

/** One member of a group. Its metadata and assignment are opaque bytes the coordinator only relays. */
export class Member {
  protocols: ProtocolChoice[];
  assignment: Buffer = Buffer.alloc(0);
  /** Set while the member waits in JoinGroup for the rebalance to complete. */
  awaitingJoin?: (r: JoinResult) => void;
  /** Set while the member waits in SyncGroup for the leader's assignment. */
  awaitingSync?: (r: SyncResult) => void;
  /** A member that joined for the first time in the current rebalance. */
  isNew = false;
  sessionTimer?: Timer;

  constructor(
    readonly memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    protocols: ProtocolChoice[],
  ) {
    this.protocols = protocols;
  }

  metadataFor(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? Buffer.alloc(0);
  }

  /** Same protocols with the same metadata, in the same order. */
  matches(protocols: readonly ProtocolChoice[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every(
        (p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata),
      )
    );
  }
}

/** Membership and rebalance state of one group (offsets live in the CommittedOffsets). */
export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** Static membership (KIP-345): group.instance.id -> the member id currently holding it. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, valid until they rejoin or their session runs out. */
  readonly pendingMembers = new Map<string, Timer>();
  /** When the group last changed state (drives offset expiry of empty groups). */
  stateTimestamp: number;
  /** The timer that ends the current join phase (rebalance timeout or initial delay). */
  joinTimer?: Timer;
  /** The timer that ends a CompletingRebalance whose leader never sends its assignment. */
  syncTimer?: Timer;
  /** The first rebalance of an empty group waits out the initial delay instead of completing early. */
  initialJoinDelayed = false;
  /** A new member joined while the initial delay was running, so the delay starts again. */
  newMemberAdded = false;

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.stateTimestamp = now;
  }

  transition(state: GroupState, now: number): void {
    this.state = state;
    this.stateTimestamp = now;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): void {
    this.members.delete(memberId);
    for (const [instance, holder] of this.staticMembers) {
      if (holder === memberId) this.staticMembers.delete(instance);
    }
    if (this.leaderId === memberId) {
      // Prefer a member already waiting in JoinGroup so the next generation's leader can answer at once.
      const next =
        [...this.members.values()].find((m) => m.awaitingJoin) ?? this.members.values().next().value;
      this.leaderId = next ? next.memberId : null;
    }
  }

  allMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (!m.awaitingJoin) return false;
    return true;
  }

  /** The largest rebalance timeout among members: how long the coordinator waits for rejoins. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  selectProtocol(): string | undefined {
    return selectProtocol([...this.members.values()]);
  }
}
