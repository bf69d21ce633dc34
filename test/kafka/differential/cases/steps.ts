import { ApiKey } from '../../../../src/protocol/api-keys.js';
import { ErrorCode } from '../../../../src/protocol/errors.js';
import type { Step } from '../script.js';

/**
 * Step builders for the cases, at versions both brokers serve (Kafka 4.x dropped many old versions in
 * KIP-896; Sluice's maxima are in docs/compatibility.md). One version per API unless a case is about
 * versions, so a difference points at behaviour, not at a layout.
 */
export const V = {
  produce: 7,
  fetch: 11,
  listOffsets: 5,
  metadata: 9,
  offsetCommit: 7,
  offsetFetch: 7,
  findCoordinator: 3,
  joinGroup: 5,
  heartbeat: 3,
  leaveGroup: 3,
  syncGroup: 3,
  describeGroups: 4,
  apiVersions: 3,
  createTopics: 4,
  deleteTopics: 4,
  initProducerId: 1,
  addPartitionsToTxn: 3,
  addOffsetsToTxn: 3,
  endTxn: 3,
  txnOffsetCommit: 3,
  describeConfigs: 1,
  alterConfigs: 1,
  createPartitions: 1,
  deleteGroups: 1,
  deleteRecords: 2,
  describeCluster: 2,
} as const;

type Extra = Partial<Omit<Step, 'apiKey' | 'version' | 'body'>>;

export interface RecordSpec {
  key?: string | null;
  value?: string | null;
  /** A `{{t:…}}` placeholder or a literal timestamp. */
  timestamp?: string | number;
  headers?: Array<{ key: string; value: string | null }>;
}

export function createTopic(
  topic = '{{topic}}',
  opts: { partitions?: number; replicationFactor?: number; configs?: Record<string, string> } = {},
  extra: Extra = {},
): Step {
  return {
    name: `create ${topic}`,
    apiKey: ApiKey.CreateTopics,
    version: V.createTopics,
    body: {
      topics: [
        {
          name: topic,
          numPartitions: opts.partitions ?? 1,
          replicationFactor: opts.replicationFactor ?? 1,
          assignments: [],
          configs: Object.entries(opts.configs ?? {}).map(([name, value]) => ({ name, value })),
        },
      ],
      timeoutMs: 30_000,
    },
    ...extra,
  };
}

/** A partition Kafka has created but not yet given a leader (or not yet told its metadata cache of). */
const NOT_READY = [
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
];

/** A coordinator Kafka is still creating (__consumer_offsets) or loading. */
export const COORDINATOR_NOT_READY = [
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.NOT_COORDINATOR,
];

/**
 * Kafka answers CreateTopics before the new partitions have a leader (NOT_LEADER_OR_FOLLOWER meanwhile):
 * a topic is ready once ListOffsets answers for each partition. Compared too (latest = 0 on both).
 */
export function topicReady(topic = '{{topic}}', partitions = 1): Step[] {
  return Array.from({ length: partitions }, (_, p) => ({
    ...listOffsets(`${topic} partition ${p} ready`, -1n, { topic, partition: p }),
    retryWhile: { path: 'topics.0.partitions.0.errorCode', in: NOT_READY, timeoutMs: 30_000 },
  }));
}

/** CreateTopics, then wait until the topic is ready (see topicReady). */
export function newTopic(
  topic = '{{topic}}',
  opts: { partitions?: number; configs?: Record<string, string> } = {},
): Step[] {
  return [createTopic(topic, opts), ...topicReady(topic, opts.partitions ?? 1)];
}

export function produce(
  name: string,
  records: RecordSpec[],
  opts: { topic?: string; partition?: number; acks?: number; batch?: Record<string, unknown> } = {},
): Step {
  return {
    name,
    apiKey: ApiKey.Produce,
    version: V.produce,
    body: {
      transactionalId: null,
      acks: opts.acks ?? -1,
      timeoutMs: 10_000,
      topicData: [
        {
          name: opts.topic ?? '{{topic}}',
          partitionData: [
            {
              index: opts.partition ?? 0,
              records: { $batch: { records, timestamp: '{{t:0}}', ...opts.batch } },
            },
          ],
        },
      ],
    },
  };
}

export interface FetchOptions {
  topic?: string;
  partition?: number;
  partitionMaxBytes?: number;
  maxBytes?: number;
  version?: number;
  /** 0 read_uncommitted (default), 1 read_committed. */
  isolationLevel?: number;
  /** More partitions in the same request, each read from the given offset. */
  more?: Array<{ partition: number; offset: number; partitionMaxBytes?: number }>;
}

export function fetch(name: string, offset: number | string, opts: FetchOptions = {}): Step {
  const part = (partition: number, at: number | string, max?: number) => ({
    partition,
    fetchOffset: typeof at === 'number' ? BigInt(at) : at,
    logStartOffset: -1n,
    partitionMaxBytes: max ?? 1 << 20,
  });
  return {
    name,
    apiKey: ApiKey.Fetch,
    version: opts.version ?? V.fetch,
    body: {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: opts.maxBytes ?? 50 << 20,
      isolationLevel: opts.isolationLevel ?? 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: opts.topic ?? '{{topic}}',
          partitions: [
            part(opts.partition ?? 0, offset, opts.partitionMaxBytes),
            ...(opts.more ?? []).map((m) => part(m.partition, m.offset, m.partitionMaxBytes)),
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    },
  };
}

/** ListOffsets for one partition; `timestamp` is -1 latest, -2 earliest, -3 max timestamp, or a time. */
export function listOffsets(
  name: string,
  timestamp: bigint | string,
  opts: { topic?: string; partition?: number; version?: number; isolationLevel?: number } = {},
): Step {
  return {
    name,
    apiKey: ApiKey.ListOffsets,
    version: opts.version ?? V.listOffsets,
    body: {
      replicaId: -1,
      isolationLevel: opts.isolationLevel ?? 0,
      topics: [
        {
          name: opts.topic ?? '{{topic}}',
          partitions: [
            { partitionIndex: opts.partition ?? 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 },
          ],
        },
      ],
      timeoutMs: 10_000,
    },
  };
}

export function metadata(name: string, topics: string[], allowAutoTopicCreation = false): Step {
  return {
    name,
    apiKey: ApiKey.Metadata,
    version: V.metadata,
    body: {
      topics: topics.map((t) => ({ name: t })),
      allowAutoTopicCreation,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    },
  };
}

/** The consumer protocol's subscription for one topic, as clients send it in JoinGroup (version 0). */
export function subscription(topic: string): Buffer {
  const name = Buffer.from(topic);
  const b = Buffer.alloc(2 + 4 + 2 + name.length + 4);
  let at = b.writeInt16BE(0, 0);
  at = b.writeInt32BE(1, at);
  at = b.writeInt16BE(name.length, at);
  at += name.copy(b, at);
  b.writeInt32BE(-1, at);
  return b;
}

export interface JoinOptions {
  group?: string;
  memberId?: string;
  instance?: string | null;
  sessionTimeoutMs?: number;
  protocolType?: string;
  protocols?: Array<{ name: string; metadata: Buffer }>;
}

export function joinGroup(name: string, opts: JoinOptions = {}, extra: Extra = {}): Step {
  return {
    name,
    apiKey: ApiKey.JoinGroup,
    version: V.joinGroup,
    body: {
      groupId: opts.group ?? '{{group}}',
      sessionTimeoutMs: opts.sessionTimeoutMs ?? 30_000,
      rebalanceTimeoutMs: 20_000,
      memberId: opts.memberId ?? '',
      groupInstanceId: opts.instance ?? null,
      protocolType: opts.protocolType ?? 'consumer',
      protocols: opts.protocols ?? [{ name: 'range', metadata: subscription('t') }],
    },
    ...extra,
  };
}

export function syncGroup(
  name: string,
  memberId: string,
  generationId: number | string,
  assignments: Array<{ memberId: string; assignment: Buffer }>,
  opts: { group?: string; instance?: string | null } = {},
  extra: Extra = {},
): Step {
  return {
    name,
    apiKey: ApiKey.SyncGroup,
    version: V.syncGroup,
    body: {
      groupId: opts.group ?? '{{group}}',
      generationId,
      memberId,
      groupInstanceId: opts.instance ?? null,
      assignments,
    },
    ...extra,
  };
}

export function heartbeat(
  name: string,
  memberId: string,
  generationId: number | string,
  opts: { group?: string; instance?: string | null } = {},
): Step {
  return {
    name,
    apiKey: ApiKey.Heartbeat,
    version: V.heartbeat,
    body: {
      groupId: opts.group ?? '{{group}}',
      generationId,
      memberId,
      groupInstanceId: opts.instance ?? null,
    },
  };
}

export function leaveGroup(
  name: string,
  members: Array<{ memberId: string; groupInstanceId?: string | null }>,
  group = '{{group}}',
): Step {
  return {
    name,
    apiKey: ApiKey.LeaveGroup,
    version: V.leaveGroup,
    body: { groupId: group, members: members.map((m) => ({ groupInstanceId: null, ...m })) },
  };
}

export function describeGroup(name: string, extra: Extra = {}, group = '{{group}}'): Step {
  return {
    name,
    apiKey: ApiKey.DescribeGroups,
    version: V.describeGroups,
    body: { groups: [group], includeAuthorizedOperations: false },
    ...extra,
  };
}

export function offsetCommit(
  name: string,
  memberId: string,
  generationId: number | string,
  offset: number,
  opts: { group?: string; topic?: string; instance?: string | null; metadata?: string } = {},
): Step {
  return {
    name,
    apiKey: ApiKey.OffsetCommit,
    version: V.offsetCommit,
    body: {
      groupId: opts.group ?? '{{group}}',
      generationIdOrMemberEpoch: generationId,
      memberId,
      groupInstanceId: opts.instance ?? null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: opts.topic ?? '{{topic}}',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: BigInt(offset),
              committedLeaderEpoch: -1,
              committedMetadata: opts.metadata ?? '',
            },
          ],
        },
      ],
    },
  };
}

export function offsetFetch(name: string, opts: { group?: string; topic?: string } = {}): Step {
  return {
    name,
    apiKey: ApiKey.OffsetFetch,
    version: V.offsetFetch,
    body: {
      groupId: opts.group ?? '{{group}}',
      topics: [{ name: opts.topic ?? '{{topic}}', partitionIndexes: [0] }],
      requireStable: false,
    },
  };
}

export function findCoordinator(name: string, key = '{{group}}', extra: Extra = {}): Step {
  return {
    name,
    apiKey: ApiKey.FindCoordinator,
    version: V.findCoordinator,
    body: { key, keyType: 0 },
    ...extra,
  };
}

/**
 * Waits until the group's coordinator answers: Kafka creates __consumer_offsets on the first
 * FindCoordinator (COORDINATOR_NOT_AVAILABLE meanwhile) and loads each of its partitions before it
 * serves the groups hashed there (COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR). The describe of a
 * group that does not exist yet is compared too: a Dead group with no members.
 */
export function coordinatorReady(group = '{{group}}'): Step[] {
  return [
    findCoordinator(`find coordinator for ${group}`, group, {
      retryWhile: { path: 'errorCode', in: COORDINATOR_NOT_READY, timeoutMs: 30_000 },
    }),
    describeGroup(
      `describe ${group} before it exists`,
      { retryWhile: { path: 'groups.0.errorCode', in: COORDINATOR_NOT_READY, timeoutMs: 30_000 } },
      group,
    ),
  ];
}
