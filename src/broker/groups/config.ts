/**
 * The consumer-group options a broker takes. They sit below everything else in the broker so that the
 * broker's config can name them without importing the coordinator or its handlers.
 */

export interface GroupCoordinatorConfig {
  /** Smallest session timeout a member may ask for (Kafka `group.min.session.timeout.ms`). */
  minSessionTimeoutMs: number;
  /** Largest session timeout a member may ask for (Kafka `group.max.session.timeout.ms`). */
  maxSessionTimeoutMs: number;
  /** How long a new group waits for more members before its first generation (0 in the lab). */
  initialRebalanceDelayMs: number;
  /** How long offsets of a group that stays empty are kept (Kafka `offsets.retention.minutes`). */
  offsetsRetentionMs: number;
  /** How often expired offsets are looked for. */
  offsetsRetentionCheckIntervalMs: number;
  /** Longest metadata string a commit may carry. */
  maxOffsetMetadataBytes: number;
  /** Answer a JoinGroup v4+ without member id with MEMBER_ID_REQUIRED, as Kafka does. */
  requireMemberIdOnJoin: boolean;
}

export const defaultGroupCoordinatorConfig: GroupCoordinatorConfig = {
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 0,
  offsetsRetentionMs: 7 * 24 * 3600_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  maxOffsetMetadataBytes: 4096,
  requireMemberIdOnJoin: true,
};

/** Broker options for consumer groups (`BrokerOptions.groups`). */
export interface BrokerGroupsOptions extends Partial<GroupCoordinatorConfig> {
  /** Partitions of `__consumer_offsets` when the broker creates it (Kafka's default is 50; ours 1). */
  offsetsTopicPartitions?: number;
  /**
   * `segment.bytes` of `__consumer_offsets` when the broker creates it (Kafka's
   * offsets.topic.segment.bytes, 100 MiB). Only closed segments are compacted, so this bounds how much
   * superseded history replay may still read.
   */
  offsetsTopicSegmentBytes?: number;
}
