import { ApiKey } from '../protocol/api-keys.js';
import { ConfigResourceType } from '../protocol/apis/32-describe-configs.js';
import type { SkipFields } from '../protocol/codec/read.js';
import { ErrorCode } from '../protocol/errors.js';
import type { BrokerConnection } from './broker-connection.js';
import type { Cluster, ClusterOptions } from './cluster.js';
import { clusterChoice, clusterFor } from './cluster-for.js';
import { brokerError, type KafkaBrokerError, KafkaClientError } from './errors.js';
import type { PartitionInfo } from './partitioner.js';

/**
 * Admin operations: topics, partitions, configs, offsets and groups. Each throws a KafkaBrokerError
 * naming the topic or group when the broker refuses.
 */

export interface NewTopic {
  topic: string;
  /** Default: the broker's `num.partitions`. */
  numPartitions?: number;
  /** Default: the cluster's `default.replication.factor` (3 on a typical production cluster). */
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number };

export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: bigint;
  /** Timestamp of the record found (by-time lookups), -1 otherwise. */
  timestamp: number;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** -1 when the group has committed nothing for this partition. */
  offset: bigint;
  metadata: string | null;
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: {
    memberId: string;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }[];
}

/** One topic as Metadata lists it. */
export interface TopicDescription {
  name: string;
  /** Non-zero when the broker could not describe the topic fully (e.g. LEADER_NOT_AVAILABLE). */
  errorCode: number;
  internal: boolean;
  partitions: { partition: number; leader: number; replicas: number[] }[];
}

/** The brokers and every topic of the cluster, from one Metadata request. */
export interface ClusterDescription {
  brokers: { nodeId: number; host: string; port: number }[];
  topics: TopicDescription[];
}

/** A partition's offsets: log start (earliest) and log end (latest, the high watermark). */
export interface OffsetRange {
  topic: string;
  partition: number;
  start: bigint;
  end: bigint;
}

/**
 * What a batched call got: the answers that came, and one line per request, group or partition that
 * failed (the call itself does not throw for those, so one broker down does not hide the others).
 */
export interface BatchResult<T> {
  results: T;
  failures: string[];
}

/** What a config request names: a topic or a broker (Kafka's ConfigResource.Type). */
export const ResourceType = ConfigResourceType;

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  isSensitive: boolean;
}

export class Admin {
  readonly cluster: Cluster;
  private readonly ownsCluster: boolean;

  constructor(options: ClusterOptions | { cluster: Cluster }) {
    ({ cluster: this.cluster, owned: this.ownsCluster } = clusterFor(
      clusterChoice(options),
      'Admin',
      'sluice',
    ));
  }

  async connect(): Promise<void> {
    await this.cluster.connect();
  }

  async createTopics(
    topics: NewTopic[],
    options: { timeoutMs?: number; validateOnly?: boolean } = {},
  ): Promise<void> {
    const conn = await this.cluster.controller();
    const res = await conn.request(ApiKey.CreateTopics, {
      topics: topics.map((t) => ({
        name: t.topic,
        // -1 asks the broker for its defaults, as kafkajs and Kafka's AdminClient do: a fixed 1 would
        // create unreplicated topics on a replicated cluster without anyone asking for that.
        numPartitions: t.numPartitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: options.timeoutMs ?? 5000,
      validateOnly: options.validateOnly ?? false,
    });
    throwFirst(res.topics.map((t) => [t.errorCode, `CreateTopics "${t.name}"`, t.errorMessage]));
    for (const t of topics) this.cluster.invalidate(t.topic);
  }

  async deleteTopics(topics: string[], options: { timeoutMs?: number } = {}): Promise<void> {
    const conn = await this.cluster.controller();
    const res = await conn.request(ApiKey.DeleteTopics, {
      topicNames: topics,
      timeoutMs: options.timeoutMs ?? 5000,
    });
    throwFirst(res.responses.map((r) => [r.errorCode, `DeleteTopics "${r.name}"`, r.errorMessage]));
    for (const t of topics) this.cluster.invalidate(t);
  }

  /** Raises a topic's partition count to `count` (Kafka never lowers it). */
  async createPartitions(topic: string, count: number, options: { timeoutMs?: number } = {}): Promise<void> {
    const conn = await this.cluster.controller();
    const res = await conn.request(ApiKey.CreatePartitions, {
      topics: [{ name: topic, count, assignments: null }],
      timeoutMs: options.timeoutMs ?? 5000,
      validateOnly: false,
    });
    throwFirst(
      res.results.map((r) => [r.errorCode, `CreatePartitions "${r.name}" to ${count}`, r.errorMessage]),
    );
    this.cluster.invalidate(topic);
  }

  async describeConfigs(
    resource: { type: number; name: string },
    keys: string[] | null = null,
  ): Promise<ConfigEntry[]> {
    const conn = await this.cluster.anyConnection();
    const res = await conn.request(ApiKey.DescribeConfigs, {
      resources: [{ resourceType: resource.type, resourceName: resource.name, configurationKeys: keys }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const r = res.results[0];
    if (!r) throw new KafkaClientError(`DescribeConfigs for "${resource.name}" returned no result`);
    if (r.errorCode !== 0)
      throw withMessage(r.errorCode, `DescribeConfigs "${resource.name}"`, r.errorMessage);
    return r.configs.map((c) => ({
      name: c.name,
      value: c.value,
      readOnly: c.readOnly,
      isDefault: c.isDefault ?? c.configSource === 5,
      isSensitive: c.isSensitive,
    }));
  }

  /** Replaces the resource's non-default configs with `configs` (AlterConfigs semantics). */
  async alterConfigs(
    resource: { type: number; name: string },
    configs: Record<string, string>,
  ): Promise<void> {
    const conn = await this.cluster.anyConnection();
    const res = await conn.request(ApiKey.AlterConfigs, {
      resources: [
        {
          resourceType: resource.type,
          resourceName: resource.name,
          configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
        },
      ],
      validateOnly: false,
    });
    throwFirst(res.responses.map((r) => [r.errorCode, `AlterConfigs "${r.resourceName}"`, r.errorMessage]));
  }

  /**
   * Sets (or, with a null value, deletes back to the default) only the configs given, leaving the
   * resource's others as they are (IncrementalAlterConfigs; AlterConfigs would reset them).
   */
  async incrementalAlterConfigs(
    resource: { type: number; name: string },
    configs: Record<string, string | null>,
  ): Promise<void> {
    const conn = await this.cluster.anyConnection();
    const res = await conn.request(ApiKey.IncrementalAlterConfigs, {
      resources: [
        {
          resourceType: resource.type,
          resourceName: resource.name,
          // Kafka's operations: 0 SET, 1 DELETE.
          configs: Object.entries(configs).map(([name, value]) => ({
            name,
            configOperation: value === null ? 1 : 0,
            value,
          })),
        },
      ],
      validateOnly: false,
    });
    throwFirst(
      res.responses.map((r) => [r.errorCode, `IncrementalAlterConfigs "${r.resourceName}"`, r.errorMessage]),
    );
  }

  /** Offsets per partition: earliest, latest (high watermark) or the first at/after a timestamp. */
  async listOffsets(
    topic: string,
    spec: OffsetSpec = 'latest',
    partitions?: number[],
  ): Promise<PartitionOffset[]> {
    const meta = await this.cluster.topic(topic);
    const wanted = partitions ?? meta.partitions.map((p) => p.partition);
    const timestamp = spec === 'latest' ? LATEST : spec === 'earliest' ? EARLIEST : BigInt(spec.timestamp);
    const byLeader = new Map<number, number[]>();
    for (const p of wanted) {
      const leader = meta.partitions.find((x) => x.partition === p)?.leader ?? -1;
      if (leader < 0) throw brokerError(5, `ListOffsets ${topic}/${p}`);
      const list = byLeader.get(leader);
      if (list) list.push(p);
      else byLeader.set(leader, [p]);
    }
    const results = await Promise.all(
      [...byLeader.entries()].map(async ([leader, parts]) => {
        const conn = this.cluster.broker(leader);
        const res = await conn.request(ApiKey.ListOffsets, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [
            {
              name: topic,
              partitions: parts.map((partitionIndex) => ({ partitionIndex, timestamp, maxNumOffsets: 1 })),
            },
          ],
        });
        return res.topics.flatMap((t) =>
          t.partitions.map((p) => {
            if (p.errorCode !== 0)
              throw brokerError(p.errorCode, `ListOffsets ${t.name}/${p.partitionIndex}`);
            return {
              topic: t.name,
              partition: p.partitionIndex,
              offset: listedOffset(p, -1n),
              timestamp: Number(p.timestamp ?? -1n),
            };
          }),
        );
      }),
    );
    return results.flat().sort((a, b) => a.partition - b.partition);
  }

  /**
   * Deletes the records before `offset` in each partition (DeleteRecords, sent to each partition's
   * leader): the log start moves there. Resolves to the new low watermark per partition; -1n as offset
   * means the high watermark (everything).
   */
  async deleteRecords(
    topic: string,
    partitions: { partition: number; offset: bigint }[],
    options: { timeoutMs?: number } = {},
  ): Promise<{ partition: number; lowWatermark: bigint }[]> {
    const meta = await this.cluster.topic(topic);
    const byLeader = new Map<number, { partitionIndex: number; offset: bigint }[]>();
    for (const p of partitions) {
      const leader = meta.partitions.find((x) => x.partition === p.partition)?.leader ?? -1;
      if (leader < 0) throw brokerError(5, `DeleteRecords ${topic}/${p.partition}`);
      const list = byLeader.get(leader) ?? [];
      list.push({ partitionIndex: p.partition, offset: p.offset });
      byLeader.set(leader, list);
    }
    const results = await Promise.all(
      [...byLeader.entries()].map(async ([leader, parts]) => {
        const res = await this.cluster.broker(leader).request(ApiKey.DeleteRecords, {
          topics: [{ name: topic, partitions: parts }],
          timeoutMs: options.timeoutMs ?? 5000,
        });
        return res.topics.flatMap((t) =>
          t.partitions.map((p) => {
            if (p.errorCode !== 0)
              throw brokerError(p.errorCode, `DeleteRecords ${t.name}/${p.partitionIndex}`);
            return { partition: p.partitionIndex, lowWatermark: p.lowWatermark };
          }),
        );
      }),
    );
    return results.flat().sort((a, b) => a.partition - b.partition);
  }

  /** Groups known to every broker of the cluster. */
  async listGroups(): Promise<GroupListing[]> {
    await this.cluster.refreshMetadata([]);
    const brokers = this.cluster.knownBrokers();
    const out = new Map<string, GroupListing>();
    for (const b of brokers) {
      const res = await this.cluster.broker(b.nodeId).request(ApiKey.ListGroups, {});
      if (res.errorCode !== 0) throw brokerError(res.errorCode, `ListGroups on broker ${b.nodeId}`);
      for (const g of res.groups) out.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType });
    }
    return [...out.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const res = await this.cluster.withCoordinator(groupId, (conn) =>
      conn
        .request(ApiKey.DescribeGroups, { groups: [groupId], includeAuthorizedOperations: false })
        .then((r) => {
          const g = r.groups[0];
          if (g && g.errorCode !== 0) throw brokerError(g.errorCode, `DescribeGroups "${groupId}"`);
          return r;
        }),
    );
    return groupDescription(res.groups[0]);
  }

  /** Committed offsets of a group (all its partitions when `topics` is omitted). */
  async fetchOffsets(
    groupId: string,
    topics?: { topic: string; partitions: number[] }[],
  ): Promise<CommittedOffset[]> {
    return this.cluster.withCoordinator(groupId, (conn) => fetchCommitted(conn, groupId, topics ?? null));
  }

  /** The brokers and every topic with its partitions, leaders and replicas (one Metadata request). */
  async describeCluster(): Promise<ClusterDescription> {
    const meta = await this.cluster.describeAll();
    const topics: TopicDescription[] = [];
    for (const t of meta.topics) {
      if (t.name === null) continue;
      topics.push({
        name: t.name,
        errorCode: t.errorCode,
        internal: t.isInternal ?? false,
        partitions: t.partitions.map((p) => ({
          partition: p.partitionIndex,
          leader: p.leaderId,
          replicas: p.replicaNodes ?? [],
        })),
      });
    }
    return {
      brokers: meta.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
      topics,
    };
  }

  /**
   * Describes many groups with one DescribeGroups per coordinator. A group whose coordinator cannot be
   * found, or that answers with an error, is a failure (a coordinator that moved is forgotten, so the
   * next call finds the new one); the other groups are described.
   */
  async describeGroups(groupIds: string[]): Promise<BatchResult<Map<string, GroupDescription>>> {
    const failures: string[] = [];
    const byCoordinator = await this.groupsByCoordinator(groupIds, failures);
    const results = new Map<string, GroupDescription>();
    await Promise.all(
      [...byCoordinator.entries()].map(async ([nodeId, ids]) => {
        try {
          const res = await this.cluster
            .broker(nodeId)
            .request(ApiKey.DescribeGroups, { groups: ids, includeAuthorizedOperations: false });
          for (const g of res.groups) {
            if (g.errorCode === 0) results.set(g.groupId, groupDescription(g));
            else {
              if (coordinatorMoved(g.errorCode)) this.cluster.forgetCoordinator(g.groupId);
              failures.push(`DescribeGroups "${g.groupId}": ${brokerError(g.errorCode, g.groupId).message}`);
            }
          }
        } catch (err) {
          failures.push(`DescribeGroups on broker ${nodeId}: ${(err as Error).message}`);
        }
      }),
    );
    return { results, failures };
  }

  private async groupsByCoordinator(groupIds: string[], failures: string[]): Promise<Map<number, string[]>> {
    const byCoordinator = new Map<number, string[]>();
    await Promise.all(
      groupIds.map(async (g) => {
        try {
          const conn = await this.cluster.coordinator(g);
          const list = byCoordinator.get(conn.nodeId);
          if (list) list.push(g);
          else byCoordinator.set(conn.nodeId, [g]);
        } catch (err) {
          failures.push(`group "${g}": no coordinator (${(err as Error).message})`);
        }
      }),
    );
    return byCoordinator;
  }

  /**
   * Log start and end of many partitions of many topics: per partition leader one ListOffsets for the
   * earliest and one for the latest offsets (a request may name a partition once only). Leaders come
   * from the metadata cache; a topic whose leader is unknown or answers with an error is invalidated, so
   * the next call asks for fresh metadata.
   */
  async listOffsetRanges(wanted: Map<string, Iterable<number>>): Promise<BatchResult<OffsetRange[]>> {
    const failures: string[] = [];
    const stale = [...wanted.keys()].filter((t) => !this.cluster.cachedTopic(t));
    if (stale.length > 0) {
      await this.cluster.refreshMetadata(stale).catch((err) => {
        failures.push(`metadata: ${(err as Error).message}`);
      });
    }
    const byLeader = await this.partitionsByLeader(wanted, failures);
    const ranges = await Promise.all(
      [...byLeader.entries()].map(async ([leader, topics]) => {
        try {
          return await this.rangesOnLeader(leader, topics, failures);
        } catch (err) {
          failures.push(`ListOffsets on broker ${leader}: ${(err as Error).message}`);
          for (const t of topics.keys()) this.cluster.invalidate(t);
          return [];
        }
      }),
    );
    return { results: ranges.flat(), failures };
  }

  private async partitionsByLeader(
    wanted: Map<string, Iterable<number>>,
    failures: string[],
  ): Promise<Map<number, Map<string, number[]>>> {
    const byLeader = new Map<number, Map<string, number[]>>();
    for (const [topic, parts] of wanted) {
      let partitions: PartitionInfo[];
      try {
        // From the cache unless stale or invalidated (a leader moved, partitions were added).
        partitions = (await this.cluster.topic(topic)).partitions;
      } catch (err) {
        failures.push(`topic "${topic}": ${(err as Error).message}`);
        continue;
      }
      for (const p of parts) {
        const leader = leaderOf(partitions, p);
        if (leader < 0) {
          failures.push(`${topic}/${p}: no leader known`);
          this.cluster.invalidate(topic);
          continue;
        }
        let topics = byLeader.get(leader);
        if (!topics) byLeader.set(leader, (topics = new Map()));
        const list = topics.get(topic);
        if (list) list.push(p);
        else topics.set(topic, [p]);
      }
    }
    return byLeader;
  }

  private async rangesOnLeader(
    leader: number,
    topics: Map<string, number[]>,
    failures: string[],
  ): Promise<OffsetRange[]> {
    const conn = this.cluster.broker(leader);
    const ask = (timestamp: bigint) =>
      conn.request(
        ApiKey.ListOffsets,
        {
          replicaId: -1,
          isolationLevel: 0,
          topics: [...topics.entries()].map(([name, parts]) => ({
            name,
            partitions: parts.map((partitionIndex) => ({ partitionIndex, timestamp, maxNumOffsets: 1 })),
          })),
        },
        { skipFields: LIST_OFFSETS_UNREAD },
      );
    const [earliest, latest] = await Promise.all([ask(EARLIEST), ask(LATEST)]);
    // A partition either side failed for is left out with its reason in failures, never given a made-up
    // offset: a caller summing lag must know the figure is missing.
    const failed = (topic: string, partition: number, errorCode: number) => {
      failures.push(`ListOffsets ${topic}/${partition}: ${brokerError(errorCode, topic).message}`);
      this.cluster.invalidate(topic);
    };
    // Log starts by topic, then in an array indexed by partition: at 10,000 partitions, "topic\0partition"
    // key strings were much of this call's garbage.
    const starts = new Map<string, bigint[]>();
    for (const t of earliest.topics) {
      const byPartition: bigint[] = [];
      starts.set(t.name, byPartition);
      for (const p of t.partitions) {
        if (p.errorCode === 0) byPartition[p.partitionIndex] = listedOffset(p, 0n);
        else failed(t.name, p.partitionIndex, p.errorCode);
      }
    }
    const out: OffsetRange[] = [];
    for (const t of latest.topics) {
      const topicStarts = starts.get(t.name);
      for (const p of t.partitions) {
        if (p.errorCode !== 0) {
          failed(t.name, p.partitionIndex, p.errorCode);
          continue;
        }
        const start = topicStarts?.[p.partitionIndex];
        if (start === undefined) continue;
        out.push({ topic: t.name, partition: p.partitionIndex, start, end: listedOffset(p, -1n) });
      }
    }
    return out;
  }

  /** Closes the connections when this admin created them (not a shared cluster's); resolves once they are closed. */
  async close(): Promise<void> {
    if (this.ownsCluster) await this.cluster.close();
  }
}

export async function fetchCommitted(
  conn: BrokerConnection,
  groupId: string,
  topics: { topic: string; partitions: number[] }[] | null,
): Promise<CommittedOffset[]> {
  const res = await conn.request(ApiKey.OffsetFetch, {
    groupId,
    topics: topics === null ? null : topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })),
    requireStable: false,
  });
  if (res.errorCode) throw brokerError(res.errorCode, `OffsetFetch for group "${groupId}"`);
  const out: CommittedOffset[] = [];
  for (const t of res.topics ?? []) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0)
        throw brokerError(p.errorCode, `OffsetFetch ${groupId} ${t.name}/${p.partitionIndex}`);
      out.push({
        topic: t.name,
        partition: p.partitionIndex,
        offset: p.committedOffset,
        metadata: p.metadata,
      });
    }
  }
  return out;
}

function withMessage(code: number, context: string, message: string | null | undefined): KafkaBrokerError {
  return brokerError(code, message ? `${context} (${message})` : context);
}

function throwFirst(results: [number, string, string | null | undefined][]): void {
  for (const [code, context, message] of results) if (code !== 0) throw withMessage(code, context, message);
}

/** What listOffsetRanges never reads of a ListOffsets answer (the timestamp is one BigInt per partition). */
const LIST_OFFSETS_UNREAD: SkipFields = new Set(['timestamp']);

/** A partition's leader from cached metadata, -1 when unknown; partitions are usually listed by index. */
function leaderOf(partitions: PartitionInfo[], partition: number): number {
  const at = partitions[partition];
  if (at?.partition === partition) return at.leader;
  return partitions.find((p) => p.partition === partition)?.leader ?? -1;
}

/** ListOffsets' "timestamps" that ask for the log start and the log end. */
const EARLIEST = -2n;
const LATEST = -1n;

/** The offset a ListOffsets partition answer carries (v0 lists it in `oldStyleOffsets`). */
function listedOffset(p: { offset?: bigint; oldStyleOffsets?: bigint[] }, fallback: bigint): bigint {
  return p.offset ?? p.oldStyleOffsets?.[0] ?? fallback;
}

function coordinatorMoved(code: number): boolean {
  return (
    code === ErrorCode.NOT_COORDINATOR ||
    code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ||
    code === ErrorCode.COORDINATOR_NOT_AVAILABLE
  );
}

function groupDescription(g: {
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: {
    memberId: string;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
  }[];
}): GroupDescription {
  return {
    groupId: g.groupId,
    state: g.groupState,
    protocolType: g.protocolType,
    protocol: g.protocolData,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      metadata: m.memberMetadata,
      assignment: m.memberAssignment,
    })),
  };
}
