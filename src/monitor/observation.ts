/**
 * What one collection cycle saw, before any judgement: the raw figures the evaluator works from. A
 * source (the Kafka admin protocol, or a scripted history in tests) produces these.
 */

export interface MemberObservation {
  memberId: string;
  clientId: string;
  host: string;
  /** Partitions assigned to this member, as "topic" → partitions. */
  assignment: { topic: string; partitions: number[] }[];
}

export interface PartitionObservation {
  topic: string;
  partition: number;
  /** First offset still in the log. */
  logStart: number;
  /** Next offset to be written (high watermark). */
  logEnd: number;
  /** Committed offset (the next record the group will read); null when the group never committed here. */
  committed: number | null;
  /**
   * Timestamp (ms) of the record at the committed offset, when the source could read it; the age of
   * the oldest unconsumed record is `now - this`.
   */
  committedRecordTimestamp?: number;
}

export interface GroupObservation {
  groupId: string;
  /** Coordinator state (Stable, Empty, PreparingRebalance, Dead…), or "Unknown" when not described. */
  state: string;
  members: MemberObservation[];
  partitions: PartitionObservation[];
  /**
   * Partitions of the group whose log offsets or committed offset could not be read this cycle (the
   * reasons are in `errors`): their lag is unknown, so the group's total is a lower bound. Absent: 0.
   */
  unreadPartitions?: number;
}

/** The cluster itself, as its metadata showed it in this cycle. */
export interface ClusterObservation {
  /** Brokers the metadata lists now. */
  brokers: { nodeId: number; host: string; port: number }[];
  /** Listed brokers that did not answer this cycle (a killed Kafka broker stays listed until it is fenced). */
  unreachable: number[];
  /** Partitions whose metadata names no leader (Kafka answers leader -1, LEADER_NOT_AVAILABLE). */
  leaderless: { topic: string; partition: number }[];
}

export interface Observation {
  /** Clock time of the cycle (ms). */
  at: number;
  groups: GroupObservation[];
  /** How long collection took (ms). */
  durationMs: number;
  /** Problems met while collecting (a group that could not be read…); the rest still counts. */
  errors: string[];
  /** Brokers and leaderless partitions; absent when the source does not read cluster metadata. */
  cluster?: ClusterObservation;
}
