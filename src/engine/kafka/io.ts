/**
 * Kafka as the engine's source and sink, on Sluice's own client. Each source instance is a member of the
 * job's consumer group and owns the partitions the coordinator gives it, so one job run by several
 * processes shares the topic out the way Kafka Streams does. Offsets are committed only for records
 * whose results the sinks acknowledged (or that a strategy discarded on purpose): at-least-once across
 * the whole graph.
 */
import type { ProducerOverflowPolicy } from '../../client/accumulator.js';
import type { Assignor } from '../../client/assignors.js';
import { type ClusterChoice, clusterFor } from '../../client/cluster-for.js';
import { ConsumerClient } from '../../client/consumer-client.js';
import type { FetchedPartition, FetchedRecord } from '../../client/fetcher.js';
import { GroupMember, type OffsetToCommit } from '../../client/group.js';
import { type Message, Producer, type ProducerOptions } from '../../client/producer.js';
import { OffsetTracker } from '../../consumer/offset-tracker.js';
import type { Clock } from '../../flow/clock.js';
import type { Arrival, InstanceInfo, QueueSpec, SinkSpec, SourceSpec } from '../types.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface KafkaSourceOptions<O> extends Omit<ClusterChoice, 'clock'> {
  topics: string[];
  /** The job's consumer group: every source instance of every process running the job joins it. */
  groupId: string;
  /** Turns a record into the item the job processes. */
  decode: (record: FetchedRecord) => O;
  /** Source instances in this process (each one a group member). Default 1. */
  parallelism?: number;
  /** Where a partition without a committed offset starts. Default 'earliest'. */
  autoOffsetReset?: 'earliest' | 'latest';
  /** Bytes one fetch may bring in: the most a source instance holds outside the engine. Default 256 KiB. */
  maxBytes?: number;
  /** How long the broker may hold a fetch waiting for data. Default 200 ms. */
  maxWaitMs?: number;
  /** How often handled offsets are committed. Default 1000 ms. */
  commitIntervalMs?: number;
  /** On revocation (and on stop), how long in-flight records of the partitions leaving may take to finish. Default 5000 ms. */
  drainTimeoutMs?: number;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  assignors?: Assignor[];
  sizeOf?: (item: O) => number;
}

/** What one source instance did, for the metrics and the reports. */
export interface KafkaSourceInstanceStats {
  instance: string;
  /** Partitions the instance owns now. */
  partitions: TopicPartition[];
  read: number;
  /** Records whose results were all handled (written, or discarded by a strategy). */
  handled: number;
  commits: number;
  commitErrors: number;
  fetchErrors: number;
  rebalances: number;
  /** Records of revoked partitions still unfinished when the drain timeout ran out (delivered again by the next owner). */
  abandoned: number;
}

export interface KafkaSourceSpec<O> extends SourceSpec<O> {
  /** Per source instance of this process. */
  stats(): KafkaSourceInstanceStats[];
}

interface PartitionTrack extends TopicPartition {
  tracker: OffsetTracker;
  committed: bigint | null;
  /** Being revoked: no more of its records go out, what is out drains. */
  leaving: boolean;
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * A Kafka source: reads the topics as a member of `groupId`, one member per source instance. It fetches
 * only when the engine pulls (the engine pulls only when it can send, and never while a strategy has the
 * source stopped), so under `propagate` or `stop-sources` the backlog stays in the broker as lag, and a
 * stopped source issues no Fetch at all for its partitions. A record's timestamp becomes its arrival
 * time, so latency counts from production.
 */
export function kafkaSource<O>(options: KafkaSourceOptions<O>): KafkaSourceSpec<O> {
  if (!options.groupId) throw new Error('kafkaSource: groupId is required; it is the job’s consumer group');
  if (!options.topics?.length) throw new Error('kafkaSource: topics must name at least one topic');
  if (typeof options.decode !== 'function') {
    throw new Error('kafkaSource: give decode(record) => item, e.g. (r) => JSON.parse(String(r.value))');
  }
  const all = new Map<string, KafkaSourceInstanceStats>();
  return {
    parallelism: options.parallelism,
    sizeOf: options.sizeOf,
    stats: () => [...all.values()].map((s) => ({ ...s, partitions: [...s.partitions] })),
    read(info, signal) {
      const stats: KafkaSourceInstanceStats = {
        instance: info.id,
        partitions: [],
        read: 0,
        handled: 0,
        commits: 0,
        commitErrors: 0,
        fetchErrors: 0,
        rebalances: 0,
        abandoned: 0,
      };
      all.set(info.id, stats);
      return new SourceMember(options, info, stats).records(signal);
    },
  };
}

/** One source instance: a group member, its fetch loop, and the offsets it may commit. */
class SourceMember<O> {
  private readonly client: ConsumerClient;
  private readonly member: GroupMember;
  private readonly tracks = new Map<string, PartitionTrack>();
  private readonly clock: Clock;
  private readonly close: () => Promise<void>;
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: KafkaSourceOptions<O>,
    info: InstanceInfo,
    private readonly stats: KafkaSourceInstanceStats,
  ) {
    this.clock = info.clock;
    const { cluster, owned } = clusterFor(
      { ...options, clock: info.clock },
      'kafkaSource',
      `${options.groupId}-${info.id}`,
    );
    this.client = new ConsumerClient({
      cluster,
      groupId: options.groupId,
      autoOffsetReset: options.autoOffsetReset ?? 'earliest',
    });
    this.member = new GroupMember({
      cluster,
      groupId: options.groupId,
      topics: options.topics,
      sessionTimeoutMs: options.sessionTimeoutMs,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      assignors: options.assignors,
      onAssign: (tps) => this.assign(flatten(tps)),
      onRevoke: (tps) => this.revoke(flatten(tps)),
    });
    this.close = async () => {
      this.member.close();
      await this.client.close();
      if (owned) await cluster.close();
    };
  }

  async *records(signal: AbortSignal): AsyncGenerator<Arrival<O>> {
    const commitTimer = this.clock.setInterval(
      () => void this.commit(),
      this.options.commitIntervalMs ?? 1000,
    );
    try {
      await this.member.join();
      while (!signal.aborted) {
        const fetched = await this.fetch(signal);
        for (const fp of fetched) {
          const track = this.tracks.get(tpKey(fp.topic, fp.partition));
          for (const record of fp.records) {
            // The partition may be revoked while this generator waits for the engine to pull.
            if (!track || track.leaving) break;
            yield this.arrival(track, record);
          }
          if (track && !track.leaving && !fp.error) track.tracker.advanceTo(fp.nextOffset);
        }
      }
    } finally {
      commitTimer.cancel();
      // Leaving revokes every partition: in-flight records drain (or time out), handled offsets are committed.
      await this.member.leave().catch(() => {});
      await this.close();
    }
  }

  private arrival(track: PartitionTrack, record: FetchedRecord): Arrival<O> {
    // Where reading started needs no commit: committing it would only repeat the group's position.
    if (track.committed === null) track.committed = record.offset;
    const entry = track.tracker.track(record.offset);
    this.stats.read++;
    return {
      value: this.options.decode(record),
      at: record.timestamp,
      receipt: {
        settle: () => {
          track.tracker.complete(entry);
          this.stats.handled++;
        },
      },
    };
  }

  private async fetch(signal: AbortSignal): Promise<FetchedPartition[]> {
    const maxWaitMs = this.options.maxWaitMs ?? 200;
    if (this.client.assignment().length === this.client.paused().length) {
      // Nothing to fetch (more members than partitions, or a revocation under way): wait, do not spin.
      await this.clock.sleep(maxWaitMs, signal).catch(() => {});
      return [];
    }
    try {
      return await this.client.poll({ maxBytes: this.options.maxBytes ?? 256 * 1024, maxWaitMs });
    } catch {
      this.stats.fetchErrors++;
      await this.clock.sleep(maxWaitMs, signal).catch(() => {});
      return [];
    }
  }

  private assign(parts: TopicPartition[]): void {
    this.stats.rebalances++;
    this.client.assign(parts);
    for (const p of parts) {
      this.tracks.set(tpKey(p.topic, p.partition), {
        ...p,
        tracker: new OffsetTracker(),
        committed: null,
        leaving: false,
      });
    }
    this.stats.partitions = [...this.tracks.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /**
   * Partitions leave this member: their records still in the engine get `drainTimeoutMs` to finish,
   * then what is handled is committed and the rest abandoned (the next owner reads it again from the
   * committed offset: at-least-once, nothing lost).
   */
  private async revoke(parts: TopicPartition[]): Promise<void> {
    const leaving = parts
      .map((p) => this.tracks.get(tpKey(p.topic, p.partition)))
      .filter((t): t is PartitionTrack => t !== undefined);
    for (const t of leaving) t.leaving = true;
    this.client.pause(parts);
    const deadline = this.clock.now() + (this.options.drainTimeoutMs ?? 5000);
    while (leaving.some((t) => t.tracker.size > 0) && this.clock.now() < deadline) {
      await this.clock.sleep(10);
    }
    for (const t of leaving) this.stats.abandoned += t.tracker.size;
    await this.commit(leaving);
    this.client.unassign(parts);
    for (const p of parts) this.tracks.delete(tpKey(p.topic, p.partition));
    this.stats.partitions = [...this.tracks.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Commits the handled prefix of each partition that moved; one commit at a time. */
  private commit(tracks: PartitionTrack[] = [...this.tracks.values()]): Promise<void> {
    this.committing = this.committing.then(async () => {
      const due: { track: PartitionTrack; offset: bigint }[] = [];
      for (const track of tracks) {
        const offset = track.tracker.committable;
        if (offset !== null && offset !== track.committed) due.push({ track, offset });
      }
      if (due.length === 0) return;
      const offsets: OffsetToCommit[] = due.map(({ track, offset }) => ({
        topic: track.topic,
        partition: track.partition,
        offset,
      }));
      try {
        await this.member.commit(offsets);
        for (const { track, offset } of due) track.committed = offset;
        this.stats.commits++;
      } catch {
        // Fenced by a rebalance or a lost session: the next owner starts from the last commit that landed.
        this.stats.commitErrors++;
      }
    });
    return this.committing;
  }
}

export interface KafkaSinkOptions<I> extends Omit<ClusterChoice, 'clock'> {
  topic: string;
  /** Turns an item into the record to write (key, value, headers; `partition` to choose one). */
  encode: (item: I) => Omit<Message, 'topic'>;
  /**
   * The producer's overflow policy, named in the job: 'block' (default) keeps every result and makes the
   * sink wait; 'drop-newest', 'drop-oldest' and 'sample' discard results the buffer cannot take (counted
   * in `stats().dropped`, and their inputs committed as handled).
   */
  policy?: ProducerOverflowPolicy;
  /** Other producer settings (buffer size, linger, acks, compression, idempotence). */
  producer?: Omit<ProducerOptions, 'cluster' | 'brokers' | 'clientId' | 'clusterOptions' | 'policy'>;
  parallelism?: number;
  /** Writes one sink instance keeps in flight (the producer batches them). Default 256. */
  concurrency?: number;
  queue?: QueueSpec;
}

export interface KafkaSinkStats {
  written: number;
  /** Results the producer's overflow policy discarded. */
  dropped: number;
  failed: number;
}

export interface KafkaSinkSpec<I> extends SinkSpec<I> {
  stats(): KafkaSinkStats;
}

/**
 * A Kafka sink: one producer per sink instance. `write` resolves when the broker acknowledged the record
 * (or the overflow policy discarded it), which is what lets the source commit the input's offset.
 */
export function kafkaSink<I>(options: KafkaSinkOptions<I>): KafkaSinkSpec<I> {
  if (!options.topic) throw new Error('kafkaSink: topic is required');
  if (typeof options.encode !== 'function') {
    throw new Error(
      'kafkaSink: give encode(item) => { key?, value }, e.g. (d) => ({ value: JSON.stringify(d) })',
    );
  }
  const stats: KafkaSinkStats = { written: 0, dropped: 0, failed: 0 };
  return {
    parallelism: options.parallelism,
    concurrency: options.concurrency ?? 256,
    queue: options.queue,
    stats: () => ({ ...stats }),
    create: (info) => {
      const { cluster, owned } = clusterFor({ ...options, clock: info.clock }, 'kafkaSink', info.id);
      const producer = new Producer({ ...options.producer, cluster, policy: options.policy ?? 'block' });
      return {
        write: async (item) => {
          const admission = await producer.produce({ ...options.encode(item), topic: options.topic });
          if (admission.status !== 'queued') {
            stats.dropped++;
            return;
          }
          const delivery = await admission.delivery.catch((err: unknown) => {
            // Not handled: the run fails and the input's offset is never committed (read again on restart).
            stats.failed++;
            throw err;
          });
          if (delivery.status === 'delivered') stats.written++;
          else stats.dropped++;
        },
        close: async () => {
          const { undelivered } = await producer.close();
          stats.failed += undelivered;
          if (owned) await cluster.close();
        },
      };
    },
  };
}

function flatten(tps: { topic: string; partitions: number[] }[]): TopicPartition[] {
  return tps.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
}
