/**
 * Apache Kafka's Java client (producer, consumer, Admin) and Kafka Streams, unchanged, against a target:
 * written once, run on the embedded broker (test/compat/java-client.test.ts) and on the rig's three-broker
 * Kafka cluster (test/kafka/java-client.test.ts). The checks themselves live in test/java (Checks.java,
 * WordCount.java): each asserts records and offsets end to end and reports what it saw; the tests below
 * assert on those reports. Where Kafka behaves differently a test branches on `target().kind` and says why.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { codecId, storedBatches } from '../helpers/broker.js';
import { type CheckResult, runJavaChecks, runWordCount, type WordCountResult } from '../helpers/java.js';
import { type Target, uniqueName } from '../helpers/targets.js';

/** Every check of Checks.java, run in one JVM (a JVM start costs seconds on two cores). */
const CHECKS = [
  'producer-codecs',
  'producer-large',
  'producer-keyless-compacted',
  'producer-transactions',
  'consumer-assign',
  'consumer-commit',
  'group-eager',
  'group-cooperative',
  'group-static',
  'group-protocol-consumer',
  'admin-topics',
  'admin-groups',
  'admin-records',
  'admin-cluster',
];

/** The word count's known input: the first run reads FIRST, the restarted application SECOND. */
const FIRST = [
  'The quick brown fox jumps over the lazy dog.',
  'The dog sleeps; the fox runs.',
  'A fox, a dog, a quick end!',
];
const SECOND = ['The fox and the dog are friends now', 'DOG fox dog'];

/** Words counted as the topology splits them (lower case, split on non-word characters). */
function countWords(lines: string[], into: Record<string, number> = {}): Record<string, number> {
  const counts = { ...into };
  for (const word of lines.flatMap((l) => l.toLowerCase().split(/\W+/))) {
    if (word) counts[word] = (counts[word] ?? 0) + 1;
  }
  return counts;
}

export function javaClientSuite(target: Target): void {
  const prefix = uniqueName('java');
  let checks: Map<string, CheckResult> | undefined;
  let checksLog = '';
  let wordCount: WordCountResult | undefined;

  beforeAll(async () => {
    // The checks and the word count use their own topics and groups, so they share the run's time.
    const [c, w] = await Promise.all([
      runJavaChecks(target().bootstrap, prefix, CHECKS),
      runWordCount(target().bootstrap, `${prefix}-wordcount`, FIRST, SECOND),
    ]);
    checks = c.results;
    checksLog = c.log;
    wordCount = w.result;
    const slowest = [...c.results.values()].map((r) => `${r.check} ${r.ms}`).join(', ');
    process.stderr.write(
      `java checks on ${target().label}: ${c.ms} ms (${slowest}); word count: ${w.ms} ms\n`,
    );
  }, 300_000);

  /** The facts of a check that passed; a failed check fails the test with the checker's own message. */
  // biome-ignore lint/suspicious/noExplicitAny: facts are per check, asserted field by field below
  const facts = (name: string): any => {
    const r = checks?.get(name);
    if (!r) throw new Error(`check ${name} reported nothing; the checker's log:\n${checksLog.slice(-3000)}`);
    if (!r.ok) throw new Error(`check ${name} failed: ${r.error}`);
    return r.facts;
  };

  describe('producer', () => {
    it('producer: idempotent (the default) acks=all, every codec (none, gzip, snappy, lz4, zstd), keys, headers and timestamps read back at consecutive offsets', () => {
      const f = facts('producer-codecs');
      expect(f.idempotent).toBe(true);
      expect(f.offsets).toEqual({
        none: [0, 39],
        gzip: [40, 79],
        snappy: [80, 119],
        lz4: [120, 159],
        zstd: [160, 199],
      });
      expect(f.read).toBe(200);
      const embedded = target().embedded;
      // Only the embedded broker can be looked into: its stored batches show what the client really sent.
      if (embedded) {
        const batches = storedBatches(embedded.broker, f.topic, 0);
        expect(new Set(batches.map((b) => b.codec))).toEqual(
          new Set(['none', 'gzip', 'snappy', 'lz4', 'zstd'].map(codecId)),
        );
        expect(batches.every((b) => b.producerId >= 0n && b.baseSequence >= 0)).toBe(true);
      }
    });

    it('producer: a record just under max.request.size round-trips whole; a 2 MiB one is refused by the broker (RecordTooLargeException)', () => {
      const f = facts('producer-large');
      expect(f).toMatchObject({
        offset: 0,
        readBytes: f.bytes,
        oversize: 'RecordTooLargeException',
        endOffset: 1,
      });
      expect(f.bytes).toBeGreaterThan(1_048_000);
    });

    it('producer: a keyless record on a compacted topic fails its whole batch (InvalidRecordException for it, KafkaException for its batch-mates, nothing stored)', () => {
      // Kafka validates the batch as a whole: one keyless record rejects it with INVALID_RECORD (with a
      // per-record error from Produce v8), and the Java producer fails the batch-mates with a KafkaException.
      const f = facts('producer-keyless-compacted');
      // The message is the broker's own text (Kafka: "Compacted topic cannot accept message without key…").
      expect(f.outcomes[1]).toMatch(/^InvalidRecordException: /);
      for (const mate of [f.outcomes[0], f.outcomes[2]]) {
        expect(mate).toMatch(
          /^KafkaException: Failed to append record because it was part of a batch which had one more more invalid records/,
        );
      }
      expect(f).toMatchObject({ keyedAfter: 0, endOffset: 1 });
    });

    it('producer: transactions (transactional.id, initTransactions, commitTransaction, read_committed)', () => {
      const f = facts('producer-transactions');
      expect(f).toEqual({ outcome: 'committed', read: 'in a transaction' });
    });
  });

  describe('consumer', () => {
    it('consumer: assign, seekToBeginning, seek, offsetsForTimes, beginning/end offsets, pause and resume', () => {
      const f = facts('consumer-assign');
      expect(f.read).toBe(30);
      expect(f.afterSeek).toEqual(['0/4', '0/5', '0/6', '0/7', '0/8', '0/9']);
      expect(f.offsetsForTimes).toEqual({ exact: 5, between: 5, beyond: null });
      expect(f.beginning).toEqual([0, 0, 0]);
      expect(f.end).toEqual([10, 10, 10]);
      expect(f.whilePaused).toEqual([0, 0, 0]);
      expect(f.paused).toBe(1);
      expect(f.afterResume).toEqual([2, 2, 2]);
    });

    it('consumer: subscribe, commitSync and commitAsync with metadata; the next member resumes at the committed offsets', () => {
      expect(facts('consumer-commit')).toEqual({
        commitAsync: 'ok',
        committed: [6, 4],
        metadata: ['sync', 'async'],
        resumedFrom: [6, 4],
        resumedCount: 10,
        finalCommitted: [10, 10],
      });
    });

    it('consumer: a group of three with eager (range) assignment: all revoked on each rebalance, 2/2/2 then 3/3, every record read once', () => {
      const f = facts('group-eager');
      expect(f).toMatchObject({
        ownedByThree: [2, 2, 2],
        ownedByTwo: [3, 3],
        describedAssignor: 'range',
        describedState: 'Stable',
        describedMembers: 3,
        distinct: 180,
        duplicates: 0,
      });
      // Eager: each rebalance first revokes everything the member holds (the joiners may arrive in one
      // rebalance or two). Which two partitions it keeps depends on the order of the random member ids.
      const events = f.firstMemberEvents as string[];
      expect(events[0]).toBe('assigned [0, 1, 2, 3, 4, 5]');
      expect(events.length % 2).toBe(1);
      for (let i = 1; i < events.length; i += 2) {
        expect(events[i]).toBe(events[i - 1]?.replace('assigned', 'revoked'));
      }
      expect(events.at(-1)).toMatch(/^assigned \[\d, \d\]$/);
    });

    it('consumer: a group of three with cooperative-sticky assignment: only moved partitions revoked, 2/2/2 then 3/3, every record read once', () => {
      const f = facts('group-cooperative');
      expect(f).toMatchObject({
        ownedByThree: [2, 2, 2],
        ownedByTwo: [3, 3],
        describedAssignor: 'cooperative-sticky',
        describedState: 'Stable',
        describedMembers: 3,
        distinct: 180,
        duplicates: 0,
      });
      // The first member keeps two partitions throughout: it gives up the four others, in one or two
      // rounds (the joiners may arrive in different rebalances), and never all six at once.
      const revoked = (f.firstMemberEvents as string[])
        .filter((e) => e.startsWith('revoked'))
        .flatMap((e) => [...e.matchAll(/\d/g)].map((m) => Number(m[0])));
      expect(revoked).toHaveLength(4);
      expect(new Set(revoked).size).toBe(4);
      expect(f.firstMemberEvents[0]).toBe('assigned [0, 1, 2, 3, 4, 5]');
    });

    it('consumer: static membership (group.instance.id): a member restarted within the session gets its partitions back without a rebalance', () => {
      const f = facts('group-static');
      expect(f.generationAfter).toBe(f.generationBefore);
      expect(f.restartedGeneration).toBe(f.generationBefore);
      expect(f.ownedAfter).toEqual(f.ownedBefore);
      expect(f.ownedBefore).toHaveLength(2);
      expect(f.otherMemberEventsAfterRestart).toEqual([]);
      expect(f.readByRestarted).toBe(20);
      expect(f.instanceIds).toEqual([`${prefix}-a`, `${prefix}-b`]);
    });

    it('consumer: group.protocol=consumer (KIP-848)', () => {
      const f = facts('group-protocol-consumer');
      if (target().kind === 'kafka') {
        // Kafka 4 serves the new protocol (ConsumerGroupHeartbeat).
        expect(f).toEqual({ outcome: 'consumed', offset: 0 });
        return;
      }
      // Sluice serves the classic protocol only (docs/compatibility.md says why): it does not advertise
      // ConsumerGroupHeartbeat, and the client's first poll fails with an error naming the way back.
      expect(f.outcome).toBe('error');
      expect(f.exception).toBe('org.apache.kafka.common.errors.UnsupportedVersionException');
      expect(f.message).toMatch(/does not support the new CONSUMER group protocol/);
      expect(f.message).toMatch(/group\.protocol=classic/);
    });
  });

  describe('admin', () => {
    it('admin: createTopics with configs, describeTopics, createPartitions, describeConfigs, incrementalAlterConfigs (set and delete), deleteTopics', () => {
      const f = facts('admin-topics');
      expect(f).toEqual({
        partitions: 2,
        replicas: target().brokers,
        leaders: true,
        // The embedded broker serves Metadata 0-9, which carries no topic ids (docs/compatibility.md says why).
        topicIdSet: target().kind === 'kafka',
        partitionsAfter: 5,
        created: { 'retention.ms': '3600000', 'cleanup.policy': 'compact', source: 'DYNAMIC_TOPIC_CONFIG' },
        altered: { 'retention.ms': '7200000', 'cleanup.policy': 'delete', cleanupSource: 'DEFAULT_CONFIG' },
        brokerHasNumPartitions: true,
        listedAfterDelete: false,
      });
    });

    it('admin: listConsumerGroups, describeConsumerGroups, listConsumerGroupOffsets, alterConsumerGroupOffsets, deleteConsumerGroupOffsets, deleteConsumerGroups', () => {
      expect(facts('admin-groups')).toEqual({
        listedState: 'Stable',
        listedType: 'Classic',
        state: 'Stable',
        members: 1,
        memberPartitions: [0, 1],
        coordinatorKnown: true,
        committed: [5, 5],
        altered: [2, 3],
        afterDelete: [2, null],
        listedAfterDeleteGroup: false,
      });
    });

    it('admin: deleteRecords moves the log start; listOffsets and a consumer see it', () => {
      expect(facts('admin-records')).toEqual({ lowWatermark: 4, earliest: 4, latest: 10, firstReadable: 4 });
    });

    it('admin: describeCluster and describeLogDirs', () => {
      expect(facts('admin-cluster')).toEqual({
        nodes: target().brokers,
        clusterIdSet: true,
        controllerListed: true,
        brokersDescribed: target().brokers,
        replicasOfTopic: target().brokers,
        sizePositive: true,
      });
    });
  });

  describe('streams', () => {
    it('streams: the word count creates its repartition and compacted changelog topics through the Admin client and counts a known input', () => {
      // The configs Streams passes to createTopics: compact for the changelog, infinite retention for the
      // repartition topic (Streams purges it itself); the changelog keeps the default retention.
      expect(wordCount?.internalTopics).toEqual({
        'counts-changelog': { partitions: 2, cleanupPolicy: 'compact', retentionMs: '604800000' },
        'counts-repartition': { partitions: 2, cleanupPolicy: 'delete', retentionMs: '-1' },
      });
      expect(wordCount?.afterFirstRun).toEqual(countWords(FIRST));
      expect(wordCount?.restoredOnFirstRun).toBe(0);
    });

    it('streams: restarted without its local state, it restores the counts from the changelog and continues them', () => {
      const both = countWords(SECOND, countWords(FIRST));
      expect(wordCount?.afterRestart).toEqual(both);
      expect(wordCount?.store).toEqual(both);
      expect(wordCount?.restoredFromChangelog).toBeGreaterThanOrEqual(Object.keys(countWords(FIRST)).length);
    });
  });
}
