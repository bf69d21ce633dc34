/**
 * Kafka API keys by name, and the version ranges the compatibility notes say our test clients send.
 * What the broker advertises is not here: it is the broker's handler registry (`Broker.versionTable()`).
 */

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  LeaderAndIsr: 4,
  StopReplica: 5,
  UpdateMetadata: 6,
  ControlledShutdown: 7,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  WriteTxnMarkers: 27,
  TxnOffsetCommit: 28,
  DescribeAcls: 29,
  CreateAcls: 30,
  DeleteAcls: 31,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  AlterReplicaLogDirs: 34,
  DescribeLogDirs: 35,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  CreateDelegationToken: 38,
  RenewDelegationToken: 39,
  ExpireDelegationToken: 40,
  DescribeDelegationToken: 41,
  DeleteGroups: 42,
  ElectLeaders: 43,
  IncrementalAlterConfigs: 44,
  AlterPartitionReassignments: 45,
  ListPartitionReassignments: 46,
  OffsetDelete: 47,
  DescribeClientQuotas: 48,
  AlterClientQuotas: 49,
  DescribeUserScramCredentials: 50,
  AlterUserScramCredentials: 51,
  DescribeCluster: 60,
  DescribeProducers: 61,
  DescribeTransactions: 65,
  ListTransactions: 66,
  ConsumerGroupHeartbeat: 68,
  ConsumerGroupDescribe: 69,
  GetTelemetrySubscriptions: 71,
  PushTelemetry: 72,
  DescribeTopicPartitions: 75,
} as const;

const API_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(ApiKey).map(([name, key]) => [key as number, name]),
);

/** `Produce` for 0; `ApiKey(<n>)` for keys this table does not name. */
export function apiName(key: number): string {
  return API_NAMES.get(key) ?? `ApiKey(${key})`;
}

export interface SupportedVersionRange {
  min: number;
  max: number;
}

/**
 * The minimum table from the compatibility notes (`kafka-compat.md` §1.3): for each API, the versions
 * the clients we test with (kafkajs, librdkafka 2.0.2, kafka-python 2.0.2, sarama/Burrow) send. It is
 * a floor, NOT what the broker advertises: the broker's table is its handler registry (each handler's
 * minVersion/maxVersion, `Broker.versionTable()`), which is wider on purpose (Produce from v0 for
 * librdkafka's codec gate, flexible maxima for @platformatic/kafka 1.x; see docs/compatibility.md).
 * Tests check that the broker's table covers every range listed here.
 */
export const COMPAT_NOTES_VERSIONS: Readonly<Record<number, SupportedVersionRange>> = Object.freeze({
  [ApiKey.Produce]: { min: 3, max: 7 },
  [ApiKey.Fetch]: { min: 4, max: 11 },
  [ApiKey.ListOffsets]: { min: 0, max: 5 },
  [ApiKey.Metadata]: { min: 0, max: 8 },
  [ApiKey.OffsetCommit]: { min: 0, max: 7 },
  [ApiKey.OffsetFetch]: { min: 0, max: 5 },
  [ApiKey.FindCoordinator]: { min: 0, max: 2 },
  [ApiKey.JoinGroup]: { min: 0, max: 5 },
  [ApiKey.Heartbeat]: { min: 0, max: 3 },
  [ApiKey.LeaveGroup]: { min: 0, max: 3 },
  [ApiKey.SyncGroup]: { min: 0, max: 3 },
  [ApiKey.DescribeGroups]: { min: 0, max: 4 },
  [ApiKey.ListGroups]: { min: 0, max: 2 },
  [ApiKey.ApiVersions]: { min: 0, max: 3 },
  [ApiKey.CreateTopics]: { min: 0, max: 4 },
  [ApiKey.DeleteTopics]: { min: 0, max: 3 },
  [ApiKey.InitProducerId]: { min: 0, max: 1 },
  [ApiKey.DescribeConfigs]: { min: 0, max: 2 },
  [ApiKey.AlterConfigs]: { min: 0, max: 1 },
  [ApiKey.CreatePartitions]: { min: 0, max: 1 },
  [ApiKey.DeleteGroups]: { min: 0, max: 1 },
});

/** The ApiVersions response `apiKeys` array for a version table, sorted by key. */
export function apiVersionsList(
  table: Readonly<Record<number, SupportedVersionRange>>,
): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return Object.entries(table)
    .map(([key, range]) => ({ apiKey: Number(key), minVersion: range.min, maxVersion: range.max }))
    .sort((a, b) => a.apiKey - b.apiKey);
}
