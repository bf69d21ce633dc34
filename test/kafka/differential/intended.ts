import type { IntendedDifference } from './compare.js';

/**
 * The ONE list of differences between Apache Kafka and Sluice that are intended. The differential suite
 * fails on any difference not listed here and on any listed path that no longer differs, so the list
 * cannot rot; docs/compatibility.md ("Differences from Apache Kafka") states the same list, and a test
 * checks that the two agree word for word.
 */
export const INTENDED: readonly IntendedDifference[] = [
  {
    case: 'fetch-max-bytes',
    paths: ['partition max just past batch 1/response.responses.0.partitions.0.records.bytes'],
    reason:
      'Kafka fills partition_max_bytes with log bytes, ending in a partial batch that clients discard; Sluice stops at the last whole batch. The batches a client reads are the same.',
  },
  {
    case: 'unknown-topic-partition',
    paths: ['produce unknown topic/**'],
    reason:
      "With auto-creation on, Sluice also creates a topic on Produce; Kafka creates topics only through Metadata. Clients ask Metadata (allow_auto_topic_creation) before they produce, so they see the same topic; the broker's own tests and raw-wire tools rely on the shortcut.",
  },
  {
    case: 'idempotent-produce',
    paths: ['seq 3 again (duplicate)/response.responses.0.partitionResponses.0.logAppendTimeMs'],
    reason:
      "Kafka answers a retried (duplicate) batch with the original batch's max timestamp as log_append_time even on a CreateTime topic; Sluice answers -1, as it did for the original append.",
  },
  {
    case: 'create-partitions',
    paths: ['unknown topic/response.results.0.errorMessage'],
    reason: 'Sluice names the unknown topic in error_message where Kafka leaves it empty.',
  },
  {
    case: 'configs',
    paths: ['describe unknown topic/response.results.0.errorMessage'],
    reason: 'Sluice names the unknown topic in error_message where Kafka leaves it empty.',
  },
  {
    case: 'api-versions',
    paths: ['ApiVersions v3*/response.supportedFeatures**', 'ApiVersions v3*/response.finalizedFeatures**'],
    reason:
      "Sluice has no feature flags (KRaft's metadata.version, group.version, transaction.version): ApiVersions v3+ lists none, which clients read as no features.",
  },
  {
    case: 'removed-versions',
    paths: ['ListOffsets v0/**', 'Produce v2/**'],
    reason:
      "Kafka 4 removed these versions (KIP-896) and closes the connection; Sluice keeps Produce 0-2 for librdkafka's compression gate and ListOffsets v0 for sarama and Burrow (see the version table).",
  },
];
