import { ApiKey, apiName } from '../protocol/api-keys.js';
import { describedVersions, isFlexibleVersion } from '../protocol/messages.js';
import { KafkaClientError } from './errors.js';

/**
 * The request versions the client prefers, per API. All are non-flexible and within what kafkajs
 * 2.2.4 implements, so every request we send has a byte-for-byte reference in a widely used client
 * (see test/client/golden.test.ts) and works against Kafka 2.x-4.x and the embedded broker alike.
 * Minimums are the oldest version whose fields we can fill.
 */
export const CLIENT_VERSIONS: Readonly<Record<number, { min: number; max: number }>> = {
  [ApiKey.Produce]: { min: 3, max: 7 },
  [ApiKey.Fetch]: { min: 4, max: 11 },
  [ApiKey.ListOffsets]: { min: 1, max: 3 },
  [ApiKey.Metadata]: { min: 1, max: 6 },
  [ApiKey.OffsetCommit]: { min: 2, max: 5 },
  [ApiKey.OffsetFetch]: { min: 1, max: 4 },
  [ApiKey.FindCoordinator]: { min: 0, max: 2 },
  [ApiKey.JoinGroup]: { min: 0, max: 5 },
  [ApiKey.Heartbeat]: { min: 0, max: 3 },
  [ApiKey.LeaveGroup]: { min: 0, max: 3 },
  [ApiKey.SyncGroup]: { min: 0, max: 3 },
  [ApiKey.DescribeGroups]: { min: 0, max: 2 },
  [ApiKey.ListGroups]: { min: 0, max: 2 },
  [ApiKey.ApiVersions]: { min: 0, max: 2 },
  [ApiKey.CreateTopics]: { min: 0, max: 3 },
  [ApiKey.DeleteTopics]: { min: 0, max: 1 },
  [ApiKey.DeleteRecords]: { min: 0, max: 1 },
  [ApiKey.InitProducerId]: { min: 0, max: 1 },
  [ApiKey.AddPartitionsToTxn]: { min: 0, max: 2 },
  [ApiKey.AddOffsetsToTxn]: { min: 0, max: 2 },
  [ApiKey.EndTxn]: { min: 0, max: 2 },
  [ApiKey.TxnOffsetCommit]: { min: 0, max: 2 },
  [ApiKey.DescribeConfigs]: { min: 0, max: 2 },
  [ApiKey.AlterConfigs]: { min: 0, max: 1 },
  [ApiKey.IncrementalAlterConfigs]: { min: 0, max: 1 },
  [ApiKey.CreatePartitions]: { min: 0, max: 1 },
  [ApiKey.DeleteGroups]: { min: 0, max: 1 },
};

/**
 * Flexible versions our request bodies can fill unchanged, used only when a broker no longer accepts
 * any version of CLIENT_VERSIONS (none we know of today: Kafka 4.x still takes them). Each is checked
 * byte for byte against @platformatic/kafka 1.x in test/client/golden-flexible.test.ts. APIs whose
 * flexible versions change shape (FindCoordinator 4+ batches keys, OffsetFetch 8+ batches groups,
 * Fetch 13+ uses topic ids) are not listed: against such a broker the client says there is no common
 * version instead of sending something malformed.
 */
export const FLEXIBLE_FALLBACK: Readonly<Record<number, number>> = {
  [ApiKey.Produce]: 9,
  [ApiKey.Fetch]: 12,
  [ApiKey.Metadata]: 9,
  [ApiKey.ListOffsets]: 6,
  [ApiKey.JoinGroup]: 6,
  [ApiKey.SyncGroup]: 4,
  [ApiKey.Heartbeat]: 4,
  [ApiKey.LeaveGroup]: 4,
  [ApiKey.OffsetCommit]: 8,
  [ApiKey.DescribeConfigs]: 4,
};

export type BrokerVersions = ReadonlyMap<number, { min: number; max: number }>;

/**
 * The version to use for `apiKey` with a broker advertising `broker`: the highest of our preferred
 * versions the broker accepts; failing that (a broker that dropped old versions), the lowest version
 * the broker accepts, if our codec can encode it (flexible or not).
 */
export function chooseVersion(apiKey: number, broker: BrokerVersions, brokerName: string): number {
  const ours = CLIENT_VERSIONS[apiKey];
  const theirs = broker.get(apiKey);
  const name = apiName(apiKey);
  if (!ours) throw new KafkaClientError(`the client does not send ${name} requests`);
  if (!theirs) {
    throw new KafkaClientError(
      `broker ${brokerName} does not support ${name} at all (it is missing from its ApiVersions); ` +
        'it may be too old or a different kind of server',
    );
  }
  const hi = Math.min(ours.max, theirs.max);
  if (hi >= Math.max(ours.min, theirs.min)) return hi;
  const described = describedVersions(apiKey);
  // Only upwards: a newer broker that dropped our versions. Older versions than ours we cannot fill
  // (e.g. Produce v0-2 need the legacy message format).
  const fallback = FLEXIBLE_FALLBACK[apiKey];
  if (
    described &&
    fallback !== undefined &&
    theirs.min > ours.max &&
    theirs.min <= Math.min(fallback, described.max)
  ) {
    return theirs.min;
  }
  throw new KafkaClientError(
    `no common ${name} version with broker ${brokerName}: it accepts ${theirs.min}-${theirs.max}, ` +
      `this client ${ours.min}-${ours.max}`,
  );
}

export { isFlexibleVersion };
